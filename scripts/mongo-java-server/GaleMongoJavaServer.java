// mongo-java-server for gale's tests: a second MongoDB-protocol server beside FerretDB.
// Usage: GaleMongoJavaServer <port> [--h2 <file>]. Listens on 127.0.0.1 only, keeps an oplog (so
// change streams can be tested), and runs until SIGTERM or SIGINT, when a shutdown hook stops it.
//
// Without --h2 it keeps everything in memory (its memory backend), lost when the process ends.
// With --h2 it keeps the databases and the oplog in an H2 MVStore file (its H2 backend), which a
// restart on the same file opens again, for tests that kill the server and start it once more:
//  - Each command is run alone and committed to the file before its reply is sent: a write that
//    was acknowledged survives a SIGKILL, and the file is always as after some command (never an
//    insert without its oplog entry). H2's own background commit (every second) would lose the
//    last second of acknowledged writes to a SIGKILL.
//  - The oplog's clock starts past the last oplog entry in the file. mongo-java-server stamps an
//    entry with (the wall clock's second, a counter that starts at 0 in each process): restarted
//    within the second of the last entry, it would stamp the new ones below the old ones, and a
//    change stream resumed after the old ones would never see them.
import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.CountDownLatch;
import org.h2.mvstore.MVStore;

public final class GaleMongoJavaServer {
  private GaleMongoJavaServer() {}

  // The system clock, never earlier than the second after `floorSeconds`.
  static final class FloorClock extends Clock {
    private final Clock base = Clock.systemDefaultZone();
    private volatile long floorSeconds = Long.MIN_VALUE;

    void setFloor(long seconds) {
      floorSeconds = seconds;
    }

    @Override
    public Instant instant() {
      Instant now = base.instant();
      long floor = floorSeconds;
      return now.getEpochSecond() > floor ? now : Instant.ofEpochSecond(floor + 1);
    }

    @Override
    public ZoneId getZone() {
      return base.getZone();
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("FloorClock has one zone");
    }
  }

  // The H2 backend, each command run alone and committed before its reply.
  static final class CommittingH2Backend extends H2Backend {
    CommittingH2Backend(MVStore store, Clock clock) {
      super(store, clock);
    }

    @Override
    public synchronized Document handleCommand(
        Channel channel, String database, String command, Document query) {
      try {
        return super.handleCommand(channel, database, command, query);
      } finally {
        commit();
      }
    }
  }

  // The greatest second of the oplog's entries, or Long.MIN_VALUE when it has none.
  static long lastOplogSecond(AbstractMongoBackend backend) {
    MongoDatabase local = backend.resolveDatabase("local");
    @SuppressWarnings("unchecked")
    MongoCollection<Document> oplog =
        (MongoCollection<Document>) local.resolveCollection("oplog.rs", false);
    if (oplog == null) return Long.MIN_VALUE;
    return oplog
        .queryAllAsStream()
        .map(entry -> entry.get("ts"))
        .filter(ts -> ts instanceof BsonTimestamp)
        .mapToLong(ts -> Integer.toUnsignedLong(((BsonTimestamp) ts).getTime()))
        .max()
        .orElse(Long.MIN_VALUE);
  }

  static void usage() {
    System.err.println("usage: GaleMongoJavaServer <port> [--h2 <file>]");
    System.exit(2);
  }

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 1 && !(args.length == 3 && args[1].equals("--h2"))) usage();
    final int port;
    try {
      port = Integer.parseInt(args[0]);
    } catch (NumberFormatException e) {
      System.err.println("not a port: " + args[0]);
      System.exit(2);
      return;
    }
    final String h2File = args.length == 3 ? args[2] : null;
    final MongoServer server;
    if (h2File == null) {
      server = new MongoServer(new MemoryBackend());
      server.enableOplog();
    } else {
      FloorClock clock = new FloorClock();
      CommittingH2Backend backend = new CommittingH2Backend(MVStore.open(h2File), clock);
      backend.enableOplog();  // opens the file's oplog (local.oplog.rs) if it has one
      long last = lastOplogSecond(backend);
      clock.setFloor(last);
      backend.commit();
      server = new MongoServer(backend);
      System.err.println(
          "storing in "
              + h2File
              + (last == Long.MIN_VALUE ? ", no oplog yet" : ", oplog up to second " + last));
    }
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
