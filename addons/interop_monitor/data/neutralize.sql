-- A copy of a production database answers no production scraper: its metrics keys
-- are revoked (a copy's figures would mix with production's in Prometheus).
UPDATE interop_metrics_key
   SET state = 'revoked', date_revoked = now() at time zone 'UTC'
 WHERE state = 'active';
