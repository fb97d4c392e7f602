// mongo-java-server with its in-memory backend, for gale's tests: a second MongoDB-protocol server
// beside FerretDB. Usage: GaleMongoJavaServer <port>. Listens on 127.0.0.1 only, keeps an oplog (so
// change streams can be tested), and runs until SIGTERM or SIGINT, when a shutdown hook stops it.
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.concurrent.CountDownLatch;

public final class GaleMongoJavaServer {
  private GaleMongoJavaServer() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 1) {
      System.err.println("usage: GaleMongoJavaServer <port>");
      System.exit(2);
    }
    final int port;
    try {
      port = Integer.parseInt(args[0]);
    } catch (NumberFormatException e) {
      System.err.println("not a port: " + args[0]);
      System.exit(2);
      return;
    }
    MongoServer server = new MongoServer(new MemoryBackend());
    server.enableOplog();
    try {
      server.bind("127.0.0.1", port);
    } catch (Exception e) {
      // Exception, not RuntimeException: Netty rethrows the BindException (checked) unchecked, and
      // its threads, already up, would keep the JVM alive. Exit, so the caller sees it.
      System.err.println("cannot listen on 127.0.0.1:" + port + ": " + e);
      System.exit(1);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdownNow();
                  stopped.countDown();
                }));
    System.err.println("mongo-java-server listening on " + server.getLocalAddress());
    // The server's threads keep the JVM alive; main waits only so the hook has something to end.
    stopped.await();
  }
}
