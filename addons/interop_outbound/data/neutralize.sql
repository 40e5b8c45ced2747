-- A copy of a production database forgets the access tokens obtained by production
-- and does not run its syncs on schedule.
UPDATE interop_credential
   SET access_token_enc = NULL,
       date_token_expiry = NULL;
UPDATE ir_cron
   SET active = false
 WHERE id IN (SELECT cron_id FROM interop_sync WHERE cron_id IS NOT NULL);
