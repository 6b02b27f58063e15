package yigui;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.Version;

/**
 * YiGui's local Neo4j server: the embedded Community DBMS with only its Bolt connector (org.neo4j:neo4j has no HTTP
 * server), bound to 127.0.0.1, auth on. Started and stopped by graph/neo4j_server.py.
 *
 * <pre>java -Xmx1g -cp ... yigui.Neo4jLauncher HOME PORT PASSWORD_FILE [PAGECACHE]</pre>
 *
 * HOME holds data/ and logs/. The password is read from PASSWORD_FILE (never the command line: ps shows that) and
 * made the password of user neo4j: on a fresh home the DBMS is first started without Bolt to set it, so the default
 * neo4j/neo4j login is never reachable. Prints "YIGUI_NEO4J_READY ..." once Bolt accepts connections; SIGTERM
 * shuts the DBMS down (checkpoint, close) and exits.
 */
public final class Neo4jLauncher {
    private Neo4jLauncher() {
    }

    private static DatabaseManagementService start(Path home, int port, long pagecache, boolean bolt) {
        DatabaseManagementServiceBuilder b = new DatabaseManagementServiceBuilder(home)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "256M size")
                .setConfig(BoltConnector.enabled, bolt)
                // no in-JVM "bolt-local" channel: the TCP listener on 127.0.0.1 is the only way in
                .setConfig(BoltConnectorInternalSettings.enable_local_connector, false)
                // SIGTERM to exit in a few seconds: the Bolt server otherwise waits 5 s twice for idle threads
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofMillis(500))
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofMillis(500));
        if (bolt) {
            b.setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
             .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port));
        }
        return b.build();
    }

    private static void setPassword(DatabaseManagementService dbms, String password, boolean fresh) {
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            if (fresh || !msg.contains("cannot be the same")) { // unchanged password file: nothing to do
                throw e;
            }
        }
    }

    private static boolean boltAccepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: Neo4jLauncher HOME PORT PASSWORD_FILE [PAGECACHE]");
            System.exit(64);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        String password = Files.readString(Path.of(args[2]), StandardCharsets.UTF_8).strip();
        long pagecache = ByteUnit.parse(args.length > 3 ? args[3] : "256m");
        long t0 = System.nanoTime();

        boolean fresh = !Files.isDirectory(home.resolve("data").resolve("databases").resolve("system"));
        if (fresh) { // set the password before any port is open
            DatabaseManagementService boot = start(home, port, pagecache, false);
            try {
                setPassword(boot, password, true);
            } finally {
                boot.shutdown();
            }
        }
        DatabaseManagementService dbms;
        try {
            dbms = start(home, port, pagecache, true);
        } catch (RuntimeException e) {
            Throwable c = e;
            while (c.getCause() != null) {
                c = c.getCause();
            }
            System.err.println("YIGUI_NEO4J_FAILED " + e + " (cause: " + c + ")");
            System.err.flush();
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            long s0 = System.nanoTime();
            try {
                dbms.shutdown();
            } finally {
                System.out.printf("YIGUI_NEO4J_STOPPED seconds=%.2f%n", (System.nanoTime() - s0) / 1e9);
                System.out.flush();
                stopped.countDown();
            }
        }, "yigui-neo4j-shutdown"));
        if (!fresh) {
            setPassword(dbms, password, false); // the password file is authoritative
        }
        while (!boltAccepts(port)) {
            Thread.sleep(100);
        }
        System.out.printf("YIGUI_NEO4J_READY port=%d version=%s seconds=%.2f%n", port, Version.getNeo4jVersion(),
                (System.nanoTime() - t0) / 1e9);
        System.out.flush();
        stopped.await();
    }
}
