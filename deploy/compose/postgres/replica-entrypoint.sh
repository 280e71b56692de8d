#!/usr/bin/env bash
# The streaming replica: on its first start it clones the primary with pg_basebackup -R (which writes
# standby.signal and primary_conninfo), then it runs as a read-only hot standby. Its pg_hba.conf and roles
# come with the clone, so Chorus connects to it as it does to the primary.
set -euo pipefail
if [[ ! -s $PGDATA/PG_VERSION ]]; then
  until PGPASSWORD=$REPLICATION_PASSWORD pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U replicator -D "$PGDATA" -R -X stream -c fast -w; do
    echo "replica: the primary at $PRIMARY_HOST does not answer yet; trying again" >&2
    rm -rf "${PGDATA:?}"/*
    sleep 2
  done
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
