package com.mp3converter.systemtests;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.mp3converter.common.testing.LocalServers;

/** The machine's listening TCP sockets, read from /proc (Linux), and which of them a process holds. */
final class ListeningSockets {
    private static final String LISTEN = "0A";

    private ListeningSockets() {
    }

    record Listener(InetAddress address, int port) {
        boolean loopback() {
            return address.isLoopbackAddress();
        }

        @Override
        public String toString() {
            return address.getHostAddress() + ":" + port;
        }
    }

    /** Every listening socket by its inode. */
    static Map<Long, Listener> byInode() throws IOException {
        Map<Long, Listener> listeners = new HashMap<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table)).stream().skip(1).toList()) {
                String[] fields = line.trim().split("\\s+");
                if (fields[3].equals(LISTEN)) {
                    String[] local = fields[1].split(":");
                    listeners.put(Long.parseLong(fields[9]),
                            new Listener(address(local[0]), Integer.parseInt(local[1], 16)));
                }
            }
        }
        return listeners;
    }

    /** The inodes of the sockets a process has open. */
    static Set<Long> socketInodesOf(long pid) throws IOException {
        Set<Long> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
                    }
                } catch (IOException closedMeanwhile) {
                    // the descriptor went away while we listed
                }
            }
        }
        return inodes;
    }

    /** The ports of the local stack's servers (database, broker, MongoDB, SMTP and its inbox API). */
    static Set<Integer> stackPorts() {
        return Set.of(URI.create(LocalServers.get("DB_URL").substring("jdbc:".length())).getPort(),
                Integer.parseInt(LocalServers.get("RABBITMQ_STREAM_PORT")),
                URI.create(LocalServers.get("MONGO_URI")).getPort(),
                Integer.parseInt(LocalServers.get("SMTP_PORT")),
                URI.create(LocalServers.get("GREENMAIL_API")).getPort());
    }

    /** /proc's hex address: IPv4 as one little-endian word, IPv6 as four. */
    private static InetAddress address(String hex) throws IOException {
        byte[] raw = HexFormat.of().parseHex(hex);
        byte[] ordered = new byte[raw.length];
        for (int word = 0; word < raw.length; word += 4) {
            for (int i = 0; i < 4; i++) {
                ordered[word + i] = raw[word + 3 - i];
            }
        }
        return InetAddress.getByAddress(ordered);
    }
}
