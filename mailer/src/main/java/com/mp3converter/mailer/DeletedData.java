package com.mp3converter.mailer;

import java.io.IOException;
import java.util.logging.Logger;

import com.mp3converter.common.events.Events;
import com.mp3converter.common.stream.EventMessage;
import com.mp3converter.mailer.webhooks.WebhookStore;

/**
 * What the mailer keeps of a deleted job (its mail and webhook deliveries) or a deleted account (its webhooks, and
 * every delivery to it) goes when the gateway says so ({@code job.deleted}, {@code account.deleted}).
 */
final class DeletedData {
    private static final Logger LOG = Logger.getLogger(DeletedData.class.getName());

    private final DeliveryStore deliveries;
    private final WebhookStore webhooks;

    DeletedData(DeliveryStore deliveries, WebhookStore webhooks) {
        this.deliveries = deliveries;
        this.webhooks = webhooks;
    }

    void forget(EventMessage event) {
        try {
            if (event.is(Events.JOB_DELETED)) {
                Events.JobDeleted job = event.read(Events.JobDeleted.class);
                deliveries.forgetJob(job.jobId());
                webhooks.forgetJob(job.jobId());
            } else if (event.is(Events.ACCOUNT_DELETED)) {
                Events.AccountDeleted account = event.read(Events.AccountDeleted.class);
                deliveries.forgetOwner(account.userId());
                webhooks.forgetOwner(account.userId());
            }
        } catch (IOException e) {
            LOG.warning(() -> "skipping a malformed " + event + ": " + e.getMessage());
        }
    }
}
