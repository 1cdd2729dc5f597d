CREATE TABLE users (
    id               CHAR(36)     NOT NULL PRIMARY KEY,
    email            VARCHAR(254) NOT NULL,
    email_normalized VARCHAR(254) NOT NULL,
    password_hash    VARCHAR(255) NOT NULL,
    roles            VARCHAR(64)  NOT NULL DEFAULT 'user',
    disabled         BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    CONSTRAINT users_email_unique UNIQUE (email_normalized)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
