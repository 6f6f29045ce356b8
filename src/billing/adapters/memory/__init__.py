"""In-memory adapters: real implementations of every port, for tests and the demo."""

from .artifacts import MemoryArtifactStore
from .clock import FixedClock, SequentialIds
from .database import MemoryDatabase
from .fake_events import Delivery, FakeEvents
from .mailer import MemoryMailer, WorkerKilled
from .metrics import RecordingMetrics
from .payments import FakePaymentProvider, ProviderCall
from .tasks import InlineTaskQueue
from .unit_of_work import MemoryUnitOfWork, MemoryUnitOfWorkFactory

__all__ = [
    "Delivery",
    "FakeEvents",
    "FakePaymentProvider",
    "FixedClock",
    "InlineTaskQueue",
    "MemoryArtifactStore",
    "MemoryDatabase",
    "MemoryMailer",
    "MemoryUnitOfWork",
    "MemoryUnitOfWorkFactory",
    "ProviderCall",
    "RecordingMetrics",
    "SequentialIds",
    "WorkerKilled",
]
