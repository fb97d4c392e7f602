"""TechEmpower-style app on Tornado + asyncpg: the idiomatic way a Python team would write it.

One process, one IOLoop, one asyncpg pool created at start-up (as gale's app does).
Run: python tornado_asyncpg.py --port 8081 --dsn postgresql://gale:gale@127.0.0.1:5432/gale
"""
import argparse
import asyncio
import html
import json
import random

import asyncpg
import tornado.web

WORLD = "SELECT id, randomnumber FROM world WHERE id = $1"
UPDATE = "UPDATE world SET randomnumber = $2 WHERE id = $1"
FORTUNES = "SELECT id, message FROM fortune"


def clamp_queries(handler):
    try:
        n = int(handler.get_argument("queries", "1"))
    except ValueError:
        n = 1
    return max(1, min(500, n))


def random_id():
    return random.randint(1, 10000)


class JsonHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": "Hello, World!"}))


class PlaintextHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain")
        self.finish(b"Hello, World!")


class DbHandler(tornado.web.RequestHandler):
    async def get(self):
        pool = self.application.settings["pool"]
        async with pool.acquire() as conn:
            row = await conn.fetchrow(WORLD, random_id())
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"id": row["id"], "randomNumber": row["randomnumber"]}))


class QueriesHandler(tornado.web.RequestHandler):
    async def get(self):
        pool = self.application.settings["pool"]
        n = clamp_queries(self)
        worlds = []
        async with pool.acquire() as conn:
            for _ in range(n):
                row = await conn.fetchrow(WORLD, random_id())
                worlds.append({"id": row["id"], "randomNumber": row["randomnumber"]})
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(worlds))


class UpdatesHandler(tornado.web.RequestHandler):
    async def get(self):
        pool = self.application.settings["pool"]
        n = clamp_queries(self)
        worlds = []
        async with pool.acquire() as conn:
            for _ in range(n):
                row = await conn.fetchrow(WORLD, random_id())
                worlds.append({"id": row["id"], "randomNumber": random_id()})
            worlds.sort(key=lambda w: w["id"])  # a stable lock order
            await conn.executemany(UPDATE, [(w["id"], w["randomNumber"]) for w in worlds])
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(worlds))


class FortunesHandler(tornado.web.RequestHandler):
    async def get(self):
        pool = self.application.settings["pool"]
        async with pool.acquire() as conn:
            rows = await conn.fetch(FORTUNES)
        fortunes = [(r["id"], r["message"]) for r in rows]
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
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--pool-size", type=int, default=16)
    args = parser.parse_args()
    pool = await asyncpg.create_pool(args.dsn, min_size=args.pool_size, max_size=args.pool_size)
    app = tornado.web.Application(
        [
            (r"/json", JsonHandler),
            (r"/plaintext", PlaintextHandler),
            (r"/db", DbHandler),
            (r"/queries", QueriesHandler),
            (r"/updates", UpdatesHandler),
            (r"/fortunes", FortunesHandler),
        ],
        pool=pool,
    )
    app.listen(args.port, address="127.0.0.1")
    print(f"tornado+asyncpg listening on {args.port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
