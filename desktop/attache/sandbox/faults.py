"""The fault plan and request log under their first address (`sandbox/common/faults.py`)."""

from attache.sandbox.common.faults import FaultPlan, RequestRecord

__all__ = ["FaultPlan", "RequestRecord"]
