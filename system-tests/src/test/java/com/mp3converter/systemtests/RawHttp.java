package com.mp3converter.systemtests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** HTTP/1.1 on a plain socket, for what a well-behaved client would never send. */
final class RawHttp {
    private static final Pattern STATUS_LINE = Pattern.compile("(?m)^HTTP/1\\.[01] (\\d{3}) ");

    private RawHttp() {
    }

    /** Everything the server sent until it closed the connection (or {@code wait} passed), and how long that took. */
    record Exchange(String text, boolean closedByServer, Duration took) {
        /** The status of every response on the connection, in order. */
        java.util.List<Integer> statuses() {
            java.util.List<Integer> statuses = new java.util.ArrayList<>();
            Matcher m = STATUS_LINE.matcher(text);
            while (m.find()) {
                statuses.add(Integer.parseInt(m.group(1)));
            }
            return statuses;
        }
    }

    static Exchange exchange(int port, String request, Duration wait) throws IOException {
        return exchange(InetAddress.getLoopbackAddress(), port, request.getBytes(StandardCharsets.ISO_8859_1), wait);
    }

    /** Sends {@code request} from {@code from} (a loopback address such as 127.0.0.66) and reads until EOF. */
    static Exchange exchange(InetAddress from, int port, byte[] request, Duration wait) throws IOException {
        long started = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 3000);
            socket.setSoTimeout((int) wait.toMillis());
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return readUntilClosed(socket.getInputStream(), started);
        }
    }

    /** Reads what arrives until the server closes (true) or nothing comes for the socket's timeout (false). */
    static Exchange readUntilClosed(InputStream in, long started) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        boolean closed;
        try {
            for (int n = in.read(buffer); ; n = in.read(buffer)) {
                if (n < 0) {
                    closed = true;
                    break;
                }
                received.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            closed = false;
        } catch (SocketException reset) {
            closed = true;
        }
        return new Exchange(received.toString(StandardCharsets.ISO_8859_1), closed,
                Duration.ofNanos(System.nanoTime() - started));
    }
}
