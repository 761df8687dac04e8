-- A Supabase-like database for the catalog test: Supabase's own schemas (auth, storage,
-- supabase_functions, net, vault) reduced to what the collector reads, and a small shop in
-- public. Every secret contains CANARY; the test proves none reaches the output.
-- pg_cron only installs in the database named by cron.database_name ('postgres' in
-- scripts/test.sh), so this runs there and cleanup.sql removes it afterwards.
CREATE EXTENSION pg_cron;
CREATE EXTENSION postgres_fdw;

CREATE SCHEMA auth;
CREATE SCHEMA storage;
CREATE SCHEMA supabase_functions;
CREATE SCHEMA net;
CREATE SCHEMA vault;

CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);

-- pg_net is not installed here: a stub with its signature.
CREATE FUNCTION net.http_post(url text, body jsonb DEFAULT '{}', params jsonb DEFAULT '{}',
  headers jsonb DEFAULT '{}', timeout_milliseconds int DEFAULT 5000)
RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;

-- Supabase's webhook trigger function; its arguments are url, method, headers, params, timeout.
CREATE FUNCTION supabase_functions.http_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NEW; END $$;

CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL, owner uuid,
  public boolean DEFAULT false, file_size_limit bigint, allowed_mime_types text[]);
CREATE TABLE storage.objects (id uuid PRIMARY KEY, bucket_id text REFERENCES storage.buckets(id), name text);
INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true), ('invoices', 'invoices', false), ('exports', 'exports', false);

CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text, secret text);
INSERT INTO vault.secrets (name, secret) VALUES ('service_role_key', 'CANARY-vault-secret-value');

CREATE TABLE public.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id uuid REFERENCES auth.users(id), name text);
CREATE TABLE public.products (id bigint PRIMARY KEY, name text, price numeric);
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES public.customers(id),
  status text, total numeric);
CREATE TABLE public.order_items (order_id bigint REFERENCES public.orders(id),
  product_id bigint REFERENCES public.products(id), qty int);
CREATE TABLE public.audit_log (id bigserial PRIMARY KEY, table_name text, payload jsonb);
INSERT INTO public.products VALUES (1, 'CANARY-row-data-espresso', 3.5);

ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY "customers see own orders" ON public.orders FOR SELECT TO PUBLIC
  USING (customer_id IN (SELECT id FROM public.customers WHERE name = 'CANARY-policy-literal'));
CREATE POLICY "staff manage orders" ON public.orders FOR ALL TO postgres USING (true);
CREATE POLICY "own customer row" ON public.customers AS RESTRICTIVE FOR UPDATE TO PUBLIC USING (true);

CREATE VIEW public.order_totals AS
  SELECT o.id, c.name, sum(i.qty) AS items
  FROM public.orders o JOIN public.customers c ON c.id = o.customer_id
  JOIN public.order_items i ON i.order_id = o.id GROUP BY o.id, c.name;
CREATE MATERIALIZED VIEW public.big_orders AS SELECT * FROM public.order_totals WHERE items > 10;

-- A trigger function with a URL literal (its query holds a CANARY key) and table names.
CREATE FUNCTION public.log_order_change() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  INSERT INTO public.audit_log (table_name, payload) VALUES (TG_TABLE_NAME, to_jsonb(NEW));
  PERFORM net.http_post('https://api.partner.example.com/v1/orders?apikey=CANARY-function-apikey',
    jsonb_build_object('id', NEW.id));
  RETURN NEW;
END $$;

CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  INSERT INTO customers (user_id, name) VALUES (NEW.id, NEW.email);
  RETURN NEW;
END $$;

CREATE FUNCTION public.order_count(cust bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM public.orders WHERE customer_id = cust
$$;

CREATE PROCEDURE public.archive_orders() LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM public.orders WHERE status = 'archived';
  PERFORM net.http_post('https://abcdefghijklmnopqrst.supabase.co/functions/v1/resize-image');
END $$;

CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE ON public.orders
  FOR EACH ROW EXECUTE FUNCTION public.log_order_change();
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();

-- Database webhooks, as the dashboard creates them; the headers hold a CANARY bearer token.
CREATE TRIGGER "order-created" AFTER INSERT ON public.orders FOR EACH ROW
  EXECUTE FUNCTION supabase_functions.http_request(
    'https://shop.example.com/api/order-created', 'POST',
    '{"Content-type":"application/json","Authorization":"Bearer CANARY-webhook-header-token"}', '{}', '5000');
CREATE TRIGGER "product-changed" AFTER UPDATE ON public.products FOR EACH ROW
  EXECUTE FUNCTION supabase_functions.http_request(
    'https://abcdefghijklmnopqrst.supabase.co/functions/v1/resize-image', 'POST',
    '{"Authorization":"Bearer CANARY-webhook-service-role"}', '{}', '1000');

CREATE PUBLICATION supabase_realtime FOR TABLE public.orders, public.order_items;

CREATE SERVER legacy_erp FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host 'legacy-db.example.com', port '5432', dbname 'erp');
CREATE USER MAPPING FOR postgres SERVER legacy_erp OPTIONS (user 'erp', password 'CANARY-fdw-password');

-- pg_cron jobs: one calls the edge function with a CANARY bearer token, one a procedure, one
-- is unnamed.
SELECT cron.schedule('notify-orders', '*/5 * * * *', $cmd$
  SELECT net.http_post(
    url := 'https://abcdefghijklmnopqrst.supabase.co/functions/v1/send-order-email',
    headers := '{"Content-Type": "application/json", "Authorization": "Bearer CANARY-cron-bearer-token"}'::jsonb,
    body := '{}'::jsonb)
$cmd$);
SELECT cron.schedule('archive-orders', '0 4 * * 0', 'CALL public.archive_orders()');
SELECT cron.schedule('30 2 * * *', 'SELECT public.order_count(1)');
