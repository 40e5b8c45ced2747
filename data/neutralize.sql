-- A copy of a production database must never behave as production: it is a test database,
-- and its production endpoints are suspended so that nothing reaches real partners.
UPDATE ir_config_parameter
   SET value = 'test'
 WHERE key = 'interop.database_environment';
UPDATE interop_endpoint
   SET state = 'suspended'
 WHERE state = 'active'
   AND environment = 'production';
