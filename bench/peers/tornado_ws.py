"""The WebSocket benchmark's Tornado peer (bench/websocket/run): the routes of
bench/websocket/bench_ws_server.cpp, written as a Tornado user would. With --websockets, the Python
`websockets` library's own server instead (echo only)."""
import argparse
import asyncio

import tornado.web
import tornado.websocket

rooms = {}


class Echo(tornado.websocket.WebSocketHandler):
    def on_message(self, message):
        return self.write_message(message, binary=isinstance(message, bytes))


class Member(tornado.websocket.WebSocketHandler):
    def open(self, name):
        self.room = rooms.setdefault(name, set())
        self.room.add(self)

    def on_close(self):
        self.room.discard(self)


class Post(tornado.web.RequestHandler):
    def post(self, name):
        members = rooms.get(name, set())
        text = self.request.body.decode()
        for m in list(members):
            try:
                m.write_message(text)
            except tornado.websocket.WebSocketClosedError:
                pass
        self.write({"sent": len(members)})


async def websockets_echo(port):
    from websockets.asyncio.server import serve

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", port, compression=None, ping_interval=None,
                     max_queue=None):
        await asyncio.Future()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--websockets", action="store_true")
    args = parser.parse_args()
    if args.websockets:
        await websockets_echo(args.port)
        return
    app = tornado.web.Application([(r"/echo", Echo), (r"/ws/([^/]+)", Member),
                                   (r"/rooms/([^/]+)/messages", Post)])
    app.listen(args.port, address="127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
