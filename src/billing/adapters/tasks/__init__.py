"""Job publishers behind the ``JobPublisher`` port: inline (the embedded default) and Dramatiq
on Redis or RabbitMQ (``BILLING_TASK_BROKER=redis://…`` or ``amqp://…``)."""

from .inline import InlineJobPublisher

__all__ = ["InlineJobPublisher"]
