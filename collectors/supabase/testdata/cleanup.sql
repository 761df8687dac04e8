-- Removes everything schema.sql creates (idempotent). Runs before and after the catalog test.
DROP PUBLICATION IF EXISTS supabase_realtime;
DROP SCHEMA IF EXISTS auth, storage, supabase_functions, net, vault CASCADE;
DROP TABLE IF EXISTS public.order_items, public.orders, public.customers, public.products, public.audit_log CASCADE;
DROP FUNCTION IF EXISTS public.log_order_change(), public.handle_new_user(), public.order_count(bigint) CASCADE;
DROP PROCEDURE IF EXISTS public.archive_orders();
DROP SERVER IF EXISTS legacy_erp CASCADE;
DROP EXTENSION IF EXISTS postgres_fdw CASCADE;
DROP EXTENSION IF EXISTS pg_cron CASCADE;
