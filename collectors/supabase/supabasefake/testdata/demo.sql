-- The Acme Coffee estate's database (project qwertyuiopasdfghjklz, docs/demo-estate.md): what the
-- catalog half of the Supabase collector reads. Supabase's own schemas are reduced to stubs
-- (pg_net and the webhook function are not installed here). pg_cron installs only in the
-- database named by cron.database_name. Secrets contain CANARY.
CREATE EXTENSION pg_cron;

CREATE SCHEMA auth;
CREATE SCHEMA storage;
CREATE SCHEMA supabase_functions;
CREATE SCHEMA net;

CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);
CREATE FUNCTION net.http_post(url text, body jsonb DEFAULT '{}', params jsonb DEFAULT '{}',
  headers jsonb DEFAULT '{}', timeout_milliseconds int DEFAULT 5000)
RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;
CREATE FUNCTION supabase_functions.http_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NEW; END $$;
CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL, owner uuid, public boolean DEFAULT false);
INSERT INTO storage.buckets (id, name, public) VALUES ('product-images', 'product-images', true);

CREATE TABLE public.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id uuid REFERENCES auth.users(id), email text);
CREATE TABLE public.products (id bigint PRIMARY KEY, name text, price numeric);
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES public.customers(id),
  status text DEFAULT 'new', notified boolean DEFAULT false);
CREATE TABLE public.order_items (order_id bigint REFERENCES public.orders(id),
  product_id bigint REFERENCES public.products(id), qty int);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY "customers read own orders" ON public.orders FOR SELECT TO PUBLIC
  USING (customer_id IN (SELECT id FROM public.customers));

-- The storefront is told about new orders (a Vercel route).
CREATE TRIGGER "order-created" AFTER INSERT ON public.orders FOR EACH ROW
  EXECUTE FUNCTION supabase_functions.http_request(
    'https://shop.acme-coffee.com/api/order-created', 'POST',
    '{"Content-type":"application/json","Authorization":"Bearer CANARY-demo-webhook-token"}', '{}', '5000');

CREATE PUBLICATION supabase_realtime FOR TABLE public.orders;

-- Every five minutes the send-order-email edge function mails pending orders.
SELECT cron.schedule('notify-orders', '*/5 * * * *', $cmd$
  SELECT net.http_post(
    url := 'https://qwertyuiopasdfghjklz.supabase.co/functions/v1/send-order-email',
    headers := '{"Authorization": "Bearer CANARY-demo-cron-service-role"}'::jsonb)
$cmd$);
