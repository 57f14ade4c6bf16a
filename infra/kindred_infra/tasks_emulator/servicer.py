"""The gRPC face of the emulator: `google.cloud.tasks.v2.CloudTasks` without generated stubs.

A generic handler routes each method to `CloudTasksApi`, (de)serialising with the proto-plus
types the client library itself uses, and maps the API's errors to gRPC status codes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import grpc
from google.cloud import tasks_v2
from google.protobuf import empty_pb2

from .api import CloudTasksApi
from .errors import AlreadyExists, ApiError, FailedPrecondition, InvalidArgument, NotFound

SERVICE = "google.cloud.tasks.v2.CloudTasks"
log = logging.getLogger(__name__)

_STATUS = {
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
}


def _empty_serialize(message: empty_pb2.Empty) -> bytes:
    return message.SerializeToString()


# Method -> (request type, response serializer, CloudTasksApi method name)
_METHODS: dict[str, tuple[Any, Callable[[Any], bytes], str]] = {
    "CreateQueue": (tasks_v2.CreateQueueRequest, tasks_v2.Queue.serialize, "create_queue"),
    "GetQueue": (tasks_v2.GetQueueRequest, tasks_v2.Queue.serialize, "get_queue"),
    "ListQueues": (
        tasks_v2.ListQueuesRequest,
        tasks_v2.ListQueuesResponse.serialize,
        "list_queues",
    ),
    "UpdateQueue": (tasks_v2.UpdateQueueRequest, tasks_v2.Queue.serialize, "update_queue"),
    "PauseQueue": (tasks_v2.PauseQueueRequest, tasks_v2.Queue.serialize, "pause_queue"),
    "ResumeQueue": (tasks_v2.ResumeQueueRequest, tasks_v2.Queue.serialize, "resume_queue"),
    "PurgeQueue": (tasks_v2.PurgeQueueRequest, tasks_v2.Queue.serialize, "purge_queue"),
    "DeleteQueue": (tasks_v2.DeleteQueueRequest, _empty_serialize, "delete_queue"),
    "CreateTask": (tasks_v2.CreateTaskRequest, tasks_v2.Task.serialize, "create_task"),
    "GetTask": (tasks_v2.GetTaskRequest, tasks_v2.Task.serialize, "get_task"),
    "ListTasks": (tasks_v2.ListTasksRequest, tasks_v2.ListTasksResponse.serialize, "list_tasks"),
    "DeleteTask": (tasks_v2.DeleteTaskRequest, _empty_serialize, "delete_task"),
    "RunTask": (tasks_v2.RunTaskRequest, tasks_v2.Task.serialize, "run_task"),
}


def handler(api: CloudTasksApi) -> grpc.GenericRpcHandler:
    """The generic handler to add to a `grpc.server`."""
    handlers = {
        method: grpc.unary_unary_rpc_method_handler(
            _guarded(method, getattr(api, attribute)),
            request_deserializer=request_type.deserialize,
            response_serializer=serialize,
        )
        for method, (request_type, serialize, attribute) in _METHODS.items()
    }
    return grpc.method_handlers_generic_handler(SERVICE, handlers)


def _guarded(method: str, call: Callable[[Any], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return call(request)
        except ApiError as error:
            log.debug("%s refused: %s", method, error)
            context.abort(_STATUS.get(type(error), grpc.StatusCode.UNKNOWN), str(error))
        except Exception:
            log.exception("%s failed", method)
            context.abort(grpc.StatusCode.INTERNAL, f"{method} failed inside the emulator")

    return handle
