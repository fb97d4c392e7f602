"""TechEmpower-style app on Tornado + Motor (MongoDB): the idiomatic Python async stack.

One process, one IOLoop, one Motor client created at start-up.
Run: python tornado_motor.py --port 8082 --uri mongodb://127.0.0.1:27017/ --db gale_bench
"""
import argparse
import asyncio
import html
import json
import random

import motor.motor_tornado
import pymongo
import tornado.web


def clamp_queries(handler):
    try:
        n = int(handler.get_argument("queries", "1"))
    except ValueError:
        n = 1
    return max(1, min(500, n))


def random_id():
    return random.randint(1, 10000)


def find_world(world):
    # _id is the id as a string (see seed.py: FerretDB scans for a number _id).
    return world.find_one({"_id": str(random_id())})


class DbHandler(tornado.web.RequestHandler):
    async def get(self):
        doc = await find_world(self.settings["db"].world)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"id": doc["id"], "randomNumber": doc["randomNumber"]}))


class QueriesHandler(tornado.web.RequestHandler):
    async def get(self):
        world = self.settings["db"].world
        worlds = []
        for _ in range(clamp_queries(self)):
            doc = await find_world(world)
            worlds.append({"id": doc["id"], "randomNumber": doc["randomNumber"]})
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(worlds))


class UpdatesHandler(tornado.web.RequestHandler):
    async def get(self):
        world = self.settings["db"].world
        worlds = []
        for _ in range(clamp_queries(self)):
            doc = await find_world(world)
            worlds.append({"id": doc["id"], "randomNumber": random_id()})
        # One bulk write for the N updates, as gale's app does (and as the rules allow).
        await world.bulk_write([pymongo.UpdateOne({"_id": str(w["id"])},
                                                  {"$set": {"randomNumber": w["randomNumber"]}})
                                for w in worlds])
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(worlds))


class FortunesHandler(tornado.web.RequestHandler):
    async def get(self):
        docs = await self.settings["db"].fortune.find().to_list(None)
        fortunes = [(d["_id"], d["message"]) for d in docs]
        fortunes.append((0, "Additional fortune added at request time."))
        fortunes.sort(key=lambda f: f[1])
        body = ["<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
                "<tr><th>id</th><th>message</th></tr>"]
        for fid, message in fortunes:
            body.append(f"<tr><td>{fid}</td><td>{html.escape(message)}</td></tr>")
        body.append("</table></body></html>")
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish("".join(body))


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--db", default="gale_bench")
    parser.add_argument("--pool-size", type=int, default=16)
    args = parser.parse_args()
    client = motor.motor_tornado.MotorClient(args.uri, maxPoolSize=args.pool_size)
    db = client[args.db]
    app = tornado.web.Application(
        [
            (r"/mongo/db", DbHandler),
            (r"/mongo/queries", QueriesHandler),
            (r"/mongo/updates", UpdatesHandler),
            (r"/mongo/fortunes", FortunesHandler),
        ],
        db=db,
    )
    app.listen(args.port, address="127.0.0.1")
    print(f"tornado+motor listening on {args.port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
