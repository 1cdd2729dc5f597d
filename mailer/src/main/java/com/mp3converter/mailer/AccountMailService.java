package com.mp3converter.mailer;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

import com.mp3converter.common.http.InternalCaller;
import com.mp3converter.common.http.Json;
import com.mp3converter.common.http.Problems;

import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /account-mails}, for auth only (the platform's internal secret; in the mesh only auth may call it):
 * an account mail to send. Answered 202 once the mail is recorded (sent, or deferred to the background passes), so
 * auth can forget the link it carries; the same mail id again sends nothing twice.
 */
final class AccountMailService implements HttpService {
    private static final Set<String> KINDS = Set.of(MailComposer.VERIFY, MailComposer.RESET, MailComposer.PASSWORD_CHANGED);

    private final InternalCaller internal;
    private final NotificationHandler handler;

    AccountMailService(InternalCaller internal, NotificationHandler handler) {
        this.internal = internal;
        this.handler = handler;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::send);
    }

    private void send(ServerRequest req, ServerResponse res) throws IOException {
        internal.require(req);
        byte[] body = Json.bytes(Json.body(req, 8192));
        MailComposer.AccountMail mail = Json.read(body, MailComposer.AccountMail.class);
        if (mail.id() == null || mail.to() == null || mail.userId() == null || !KINDS.contains(mail.kind())
                || !mail.kind().equals(MailComposer.PASSWORD_CHANGED) && (mail.link() == null || mail.token() == null)) {
            throw Problems.badRequest("an account mail needs id, kind (one of " + KINDS + "), to, userId, and a link and "
                    + "token for the kinds that carry one");
        }
        handler.accountMail(mail.id(), mail.kind(), mail.userId(), body);
        res.status(Status.ACCEPTED_202);
        Json.send(res, Map.of("id", mail.id()));
    }
}
