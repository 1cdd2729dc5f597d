package com.mp3converter.auth;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import org.flywaydb.core.Flyway;

import io.helidon.config.Config;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbClientException;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import io.helidon.dbclient.jdbc.JdbcConnectionPool;

/**
 * MariaDB/MySQL through helidon-dbclient-jdbc on a HikariCP pool (Helidon's Hikari module is not served
 * for 4.5.0, so the pool is handed to the JDBC client here), schema migrated by Flyway at start-up.
 */
public final class Database implements AutoCloseable {
    private final HikariDataSource pool;
    private final DbClient client;

    private Database(HikariDataSource pool, DbClient client) {
        this.pool = pool;
        this.client = client;
    }

    public static Database open(Config db) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("auth-db");
        hikari.setJdbcUrl(db.get("url").asString().get());
        hikari.setUsername(db.get("username").asString().orElse(null));
        hikari.setPassword(db.get("password").asString().orElse(null));
        hikari.setMaximumPoolSize(db.get("pool.max-size").asInt().orElse(10));
        hikari.setConnectionTimeout(db.get("pool.connection-timeout").as(Duration.class).orElse(Duration.ofSeconds(3)).toMillis());
        // start even when the database is down: login answers 503 until it is back
        hikari.setInitializationFailTimeout(-1);
        HikariDataSource pool = new HikariDataSource(hikari);
        DbClient client = JdbcClientBuilder.create()
                .config(db)
                .connectionPool(new HikariPool(pool))
                .build();
        return new Database(pool, client);
    }

    /** Applies pending migrations; idempotent. */
    public void migrate() {
        Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();
    }

    public DbClient client() {
        return client;
    }

    public DataSource dataSource() {
        return pool;
    }

    public boolean reachable() {
        try (Connection c = pool.getConnection()) {
            return c.isValid(2);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        client.close();
        pool.close();
    }

    /** True when a failure means the database cannot be reached (answer 503), not a bad statement. */
    public static boolean unavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLTransientConnectionException || t instanceof java.sql.SQLNonTransientConnectionException
                    || t instanceof java.net.ConnectException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return e instanceof DbClientException && e.getMessage() != null && e.getMessage().contains("onnection");
    }

    private record HikariPool(HikariDataSource dataSource) implements JdbcConnectionPool {
        @Override
        public Connection connection() {
            try {
                return dataSource.getConnection();
            } catch (SQLException e) {
                throw new DbClientException("no database connection: " + e.getMessage(), e);
            }
        }

        @Override
        public String dbType() {
            return "mysql";
        }
    }
}
