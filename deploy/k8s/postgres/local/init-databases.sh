#!/usr/bin/env bash
# Runs once, when the data directory is first created (docker-entrypoint-initdb.d): one login role and one database
# per service, each role owning its database. Passwords come from the environment (the perspective-<service>-db Secrets).
set -euo pipefail
for service in ledger registry gateway subdao platform treasury; do
  var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="${!var}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$service" -v password="$password" -v db="perspective_$service" <<'SQL'
create role :"role" login password :'password';
create database :"db" owner :"role";
SQL
done
