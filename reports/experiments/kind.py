"""The kinds of ``dlnverify simulate`` run.

A run is a training run (with the diffusion along training when ``diffusion_samples`` is
set, :mod:`reports.experiments.diffusion`), a stationary ensemble with label noise against
the derived law of C10 (:mod:`reports.experiments.stationary`), or the collapse of an
ensemble without label noise against the rates of C11 and C16
(:mod:`reports.experiments.collapse`).  An experiment file names its kind with
``kind = "..."`` (:mod:`reports.experiments.files`), the command line with ``--stationary``
or ``--collapse``; :mod:`reports.experiments.kinds` maps each kind to the class that runs it.
"""

from __future__ import annotations

import enum

__all__ = ["ExperimentKind"]


class ExperimentKind(enum.StrEnum):
    """The kind of a ``simulate`` run; its value is the name an experiment file gives."""

    TRAINING = "training"
    STATIONARY = "stationary"
    COLLAPSE = "collapse"
