"""Background tasks of the incidents app (thin: ids in, services called)."""


def deliver_webhook(delivery_id: int) -> str:
    from incidents.services.notifications import webhook_deliver

    return webhook_deliver(delivery_id)


def retry_webhook_deliveries() -> int:
    from incidents.services.notifications import webhook_deliveries_retry

    return webhook_deliveries_retry()


def check_response_targets() -> int:
    from incidents.services.targets import response_targets_check

    return response_targets_check()
