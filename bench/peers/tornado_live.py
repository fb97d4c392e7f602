"""The change-event latency benchmark's Tornado + Motor peer (bench/live/run): the same as
bench/live/bench_live_server.cpp, written as a Motor user would. One Motor client, one
`collection.watch()`, and every event written as one text message to every WebSocket open on
/live: {"seq": <fullDocument.seq>, "op": <operationType>}.

The port is listened on once the stream is open (`async with` opens it), as gale's server does.

mongo-java-server answers a change stream's aggregate without the operationTime that PyMongo
needs to start a stream from "now" (PyMongo raises "Expected field 'operationTime' missing"), so
the stream starts at the current second (start_at_operation_time), which is what a server with
an operationTime would have said; the benchmark's writer starts later.

Run: python tornado_live.py --port 8090 --mongo-uri mongodb://127.0.0.1:27017/ [--db gale_live]
     [--collection events] [--max-await-ms 1] [--batch-size 100]
"""
import argparse
import asyncio
import json
import time

import motor.motor_tornado
import tornado.web
import tornado.websocket
from bson import Timestamp

clients = set()


class Live(tornado.websocket.WebSocketHandler):
    def open(self):
        clients.add(self)

    def on_close(self):
        clients.discard(self)


def broadcast(event):
    doc = event.get("fullDocument") or {}
    message = json.dumps({"seq": doc.get("seq"), "op": event.get("operationType")})
    for c in list(clients):
        try:
            c.write_message(message)
        except tornado.websocket.WebSocketClosedError:
            pass


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mongo-uri", required=True)
    parser.add_argument("--db", default="gale_live")
    parser.add_argument("--collection", default="events")
    parser.add_argument("--max-await-ms", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    client = motor.motor_tornado.MotorClient(args.mongo_uri)
    events = client[args.db][args.collection]
    async with events.watch(max_await_time_ms=args.max_await_ms,
                            batch_size=args.batch_size or None,
                            start_at_operation_time=Timestamp(int(time.time()), 0)) as stream:
        app = tornado.web.Application([(r"/live", Live)])
        app.listen(args.port, address="127.0.0.1")
        async for event in stream:
            broadcast(event)
    raise SystemExit("tornado_live: the change stream ended")


if __name__ == "__main__":
    asyncio.run(main())
