"""Seeds the TechEmpower tables: world (10,000 rows) and fortune (12 rows), in PostgreSQL and in
MongoDB (collections world, _id = str(id), and fortune, _id = id). Idempotent: reseeds only what is
missing.

Run: python seed.py --pg postgresql://... --mongo mongodb://... --mongo-db gale_bench
"""
import argparse
import asyncio
import os
import random
import sqlite3

import asyncpg
import pymongo

FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. \u2014 Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af",
]


async def seed_pg(dsn):
    conn = await asyncpg.connect(dsn)
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS world (id integer PRIMARY KEY, randomnumber integer NOT NULL)")
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS fortune (id integer PRIMARY KEY, message text NOT NULL)")
    if await conn.fetchval("SELECT count(*) FROM world") != 10000:
        await conn.execute("TRUNCATE world")
        await conn.copy_records_to_table(
            "world", records=[(i, random.randint(1, 10000)) for i in range(1, 10001)])
    if await conn.fetchval("SELECT count(*) FROM fortune") != len(FORTUNES):
        await conn.execute("TRUNCATE fortune")
        await conn.copy_records_to_table(
            "fortune", records=[(i + 1, m) for i, m in enumerate(FORTUNES)])
    await conn.execute("VACUUM ANALYZE world")
    await conn.close()


def seed_mongo(uri, db_name):
    db = pymongo.MongoClient(uri)[db_name]
    # World _ids are strings ("1".."10000") with the number in `id`: FerretDB 1.24's SQLite handler
    # looks a find up by _id in its primary key only for a string or ObjectId _id, and scans the
    # whole collection for a number (13 finds/s instead of hundreds). Every app reads `id`.
    if db.world.count_documents({"_id": {"$type": "string"}}) != 10000:
        db.world.drop()
        db.world.insert_many([{"_id": str(i), "id": i, "randomNumber": random.randint(1, 10000)}
                              for i in range(1, 10001)])
    if db.fortune.count_documents({}) != len(FORTUNES):
        db.fortune.drop()
        db.fortune.insert_many([{"_id": i + 1, "id": i + 1, "message": m}
                                for i, m in enumerate(FORTUNES)])


def index_ferretdb_ids(sqlite_dir, db_name):
    """FerretDB 1.24 (SQLite) answers a find by string _id with
    `WHERE _ferretdb_sjson->'$._id' = ?`, but indexes _id as `_ferretdb_sjson->"_id"`: SQLite
    cannot use that index for the query and scans the table (about 90 finds/s over 10,000
    documents here). An index on the very expression the query uses turns the scan into a search
    (about 1,300 finds/s, serially). It is added to FerretDB's own SQLite file, beside FerretDB's
    indexes; FerretDB ignores it and SQLite keeps it up to date. Every app benefits alike."""
    path = os.path.join(sqlite_dir, f"{db_name}.sqlite")
    db = sqlite3.connect(path, timeout=30)
    for (table,) in db.execute(
            "SELECT table_name FROM _ferretdb_collections WHERE name IN ('world', 'fortune')"):
        db.execute(f'CREATE INDEX IF NOT EXISTS "{table}_id_path" ON "{table}" '
                   "(_ferretdb_sjson->'$._id')")
    db.commit()
    db.close()


async def index_ferretdb_pg_ids(dsn, db_name):
    """FerretDB 1.24 (PostgreSQL) answers a find by _id with `WHERE _jsonb->$1 @> $2`, while its
    own _id index is a btree on `_jsonb->'_id'`, which `@>` cannot use: every find scans the
    collection (about 170 finds/s over 10,000 documents, serially). A GIN index on that expression
    serves `@>` once the plan is made with the values in hand (scripts/services sets
    plan_cache_mode = force_custom_plan on FerretDB's database): about 1,050 finds/s. Added to
    FerretDB's own tables; FerretDB ignores it and PostgreSQL keeps it up to date."""
    conn = await asyncpg.connect(dsn)
    rows = await conn.fetch(
        f'SELECT _jsonb->>\'_id\' AS name, _jsonb->>\'table\' AS tab '
        f'FROM "{db_name}"._ferretdb_database_metadata')
    for row in rows:
        if row["name"] in ("world", "fortune"):
            await conn.execute(
                f'CREATE INDEX IF NOT EXISTS "{row["tab"]}_id_gin" ON "{db_name}"."{row["tab"]}" '
                "USING gin ((_jsonb->'_id') jsonb_path_ops)")
            await conn.execute(f'ANALYZE "{db_name}"."{row["tab"]}"')
    await conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg")
    parser.add_argument("--mongo")
    parser.add_argument("--mongo-db", default="gale_bench")
    parser.add_argument("--ferretdb-sqlite-dir",
                        help="FerretDB's --sqlite-url directory: index _id lookups (see above)")
    parser.add_argument("--ferretdb-pg",
                        help="FerretDB's PostgreSQL database (a DSN): index _id lookups (see above)")
    args = parser.parse_args()
    if args.pg:
        asyncio.run(seed_pg(args.pg))
    if args.mongo:
        seed_mongo(args.mongo, args.mongo_db)
        if args.ferretdb_sqlite_dir:
            index_ferretdb_ids(args.ferretdb_sqlite_dir, args.mongo_db)
        if args.ferretdb_pg:
            asyncio.run(index_ferretdb_pg_ids(args.ferretdb_pg, args.mongo_db))


if __name__ == "__main__":
    main()
