"""Database helper for tools/*.sh: `exists NAME` (exit 0/1), `drop NAME`, and
`installed NAME MODULES` (which of the comma-separated MODULES NAME has installed).

Runs in the suite's virtualenv (psycopg2 comes with Odoo); the connection settings
come from the generated Odoo configuration file given as first argument.
"""

import configparser
import sys

import psycopg2
from psycopg2 import sql


def connect(conf_path, dbname="postgres"):
    parser = configparser.ConfigParser()
    parser.read(conf_path)
    opts = parser["options"]
    password = opts.get("db_password")
    conn = psycopg2.connect(
        dbname=dbname,
        host=opts.get("db_host"),
        port=opts.get("db_port"),
        user=opts.get("db_user"),
        password=None if password in (None, "False") else password,
    )
    conn.autocommit = True
    return conn


def main(conf_path, command, name):
    conn = connect(conf_path)  # not `with conn`: that opens a transaction block
    with conn.cursor() as cr:
        if command == "exists":
            cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return 0 if cr.fetchone() else 1
        if command == "installed":
            # the names among the given comma-separated modules installed in NAME
            wanted = sys.argv[4].split(",")
            dbconn = connect(conf_path, dbname=name)
            with dbconn.cursor() as dbcr:
                dbcr.execute(
                    "SELECT name FROM ir_module_module"
                    " WHERE state = 'installed' AND name = ANY(%s)",
                    (wanted,),
                )
                print(",".join(sorted(row[0] for row in dbcr.fetchall())))
            dbconn.close()
            return 0
        if command == "drop":
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s",
                (name,),
            )
            cr.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
            )
            return 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
