package com.mp3converter.auth;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import com.mp3converter.common.testing.LocalServers;

/** A fresh, empty schema on the local stack's MariaDB per test class, dropped afterwards. */
final class TestDatabase implements AutoCloseable {
    private final String name = "auth_test_" + LocalServers.unique();
    private final String serverUrl;

    TestDatabase() {
        String url = LocalServers.get("DB_URL");
        this.serverUrl = url.substring(0, url.lastIndexOf('/'));
        execute("CREATE DATABASE " + name);
    }

    String url() {
        return serverUrl + "/" + name;
    }

    void execute(String sql) {
        try (Connection c = DriverManager.getConnection(serverUrl + "/", LocalServers.get("DB_USERNAME"),
                LocalServers.get("DB_PASSWORD")); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run '" + sql + "' on the local MariaDB: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        execute("DROP DATABASE IF EXISTS " + name);
    }
}
