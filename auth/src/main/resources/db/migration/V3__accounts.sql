-- E-mail verification: accounts made before it existed (the administrator's, those of earlier sign-ups) count as
-- verified; new sign-ups are verified by the link mailed to them.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP(3) NULL;
UPDATE users SET email_verified_at = created_at;

-- Single-use links (verification, password reset): only the SHA-256 of the random token is kept; a row goes when it
-- is used or when it expires.
CREATE TABLE account_tokens (
    token_hash CHAR(64)     NOT NULL PRIMARY KEY,
    user_id    CHAR(36)     NOT NULL,
    purpose    VARCHAR(16)  NOT NULL,
    expires_at TIMESTAMP(3) NOT NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    INDEX account_tokens_user (user_id, purpose),
    INDEX account_tokens_expiry (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The account mails to send (an outbox: the link's token is kept only until the mailer has the mail) and those sent
-- in the last day (for the caps per address); rows older than a day are removed.
CREATE TABLE account_mails (
    id               CHAR(36)     NOT NULL PRIMARY KEY,
    user_id          CHAR(36)     NOT NULL,
    email            VARCHAR(254) NOT NULL,
    email_normalized VARCHAR(254) NOT NULL,
    kind             VARCHAR(24)  NOT NULL,
    link_token       VARCHAR(64)  NULL,
    expires_at       TIMESTAMP(3) NULL,
    created_at       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    sent_at          TIMESTAMP(3) NULL,
    INDEX account_mails_address (email_normalized, kind, created_at),
    INDEX account_mails_unsent (sent_at, created_at),
    INDEX account_mails_user (user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Deleted accounts' tokens stay refused until the longest-lived of them has expired; then the row goes. It holds the
-- account's id only.
CREATE TABLE revoked_accounts (
    user_id        CHAR(36)     NOT NULL PRIMARY KEY,
    revoked_before TIMESTAMP(3) NOT NULL,
    expires_at     TIMESTAMP(3) NOT NULL,
    INDEX revoked_accounts_since (revoked_before)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
