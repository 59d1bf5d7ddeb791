\restrict dbmate

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: api; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA api;


--
-- Name: SCHEMA api; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA api IS 'The functions the HTTP layer (role pgshop_api) may execute. Holds no tables.';


--
-- Name: audit; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA audit;


--
-- Name: SCHEMA audit; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA audit IS 'Append-only change log.';


--
-- Name: reporting; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA reporting;


--
-- Name: SCHEMA reporting; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA reporting IS 'Views and materialized views for BI tools (role bi_reader).';


--
-- Name: shop; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA shop;


--
-- Name: SCHEMA shop; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA shop IS 'Private tables of pgshop. Nobody but the owner reads or writes them directly.';


--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;


--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';


--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;


--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';


--
-- Name: current_user_id(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.current_user_id() RETURNS bigint
    LANGUAGE sql STABLE
    AS $$
  select (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::bigint
$$;


--
-- Name: FUNCTION current_user_id(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.current_user_id() IS 'The calling user''s id from the request.jwt.claims set by the HTTP layer for this transaction; null when anonymous.';


--
-- Name: tg__set_updated_at(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg__set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  new.updated_at := now();
  return new;
end
$$;


--
-- Name: FUNCTION tg__set_updated_at(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg__set_updated_at() IS 'Trigger: sets updated_at to the transaction time on every update.';


--
-- Name: tg_categories__no_cycle(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.tg_categories__no_cycle() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if new.parent_id is not null and exists (
    with recursive up (id, parent_id) as (
      select c.id, c.parent_id from shop.categories c where c.id = new.parent_id
      union
      select c.id, c.parent_id from shop.categories c join up on c.id = up.parent_id
    )
    select from up where up.id = new.id
  ) then
    raise exception using
      errcode = 'PT422', message = 'category_cycle',
      detail = format('category %s cannot be placed under its own descendant %s', new.id, new.parent_id);
  end if;
  return new;
end
$$;


--
-- Name: FUNCTION tg_categories__no_cycle(); Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON FUNCTION shop.tg_categories__no_cycle() IS 'Trigger: refuses a parent_id that would make the category tree cyclic.';


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL
);


--
-- Name: categories; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.categories (
    id bigint NOT NULL,
    name character varying(100) NOT NULL,
    description text,
    parent_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT categories_name_not_blank CHECK ((btrim((name)::text) <> ''::text)),
    CONSTRAINT categories_not_own_parent CHECK ((parent_id <> id))
);


--
-- Name: TABLE categories; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.categories IS 'Category tree (parent_id); product filters include the whole subtree.';


--
-- Name: COLUMN categories.name; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.categories.name IS 'Unique regardless of letter case.';


--
-- Name: COLUMN categories.parent_id; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.categories.parent_id IS 'Parent category; null for a root.';


--
-- Name: categories_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.categories ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.categories_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: products; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.products (
    id bigint NOT NULL,
    name character varying(255) NOT NULL,
    description text,
    price numeric(12,2) NOT NULL,
    category_id bigint,
    stock_quantity integer DEFAULT 0 NOT NULL,
    sku character varying(100) NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    low_stock_threshold integer DEFAULT 5 NOT NULL,
    search tsvector GENERATED ALWAYS AS ((setweight(to_tsvector('english'::regconfig, (COALESCE(name, ''::character varying))::text), 'A'::"char") || setweight(to_tsvector('english'::regconfig, COALESCE(description, ''::text)), 'B'::"char"))) STORED,
    deleted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT products_low_stock_threshold_not_negative CHECK ((low_stock_threshold >= 0)),
    CONSTRAINT products_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT products_name_not_blank CHECK ((btrim((name)::text) <> ''::text)),
    CONSTRAINT products_price_not_negative CHECK ((price >= (0)::numeric)),
    CONSTRAINT products_sku_not_blank CHECK ((btrim((sku)::text) <> ''::text)),
    CONSTRAINT products_stock_not_negative CHECK ((stock_quantity >= 0))
);


--
-- Name: TABLE products; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.products IS 'The catalog. Soft-deleted rows (deleted_at) stay for past orders but disappear from reads.';


--
-- Name: COLUMN products.price; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.price IS 'Current unit price; orders snapshot it.';


--
-- Name: COLUMN products.stock_quantity; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.stock_quantity IS 'Units on hand; never negative.';


--
-- Name: COLUMN products.low_stock_threshold; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.low_stock_threshold IS 'At or below this stock the product counts as low on stock.';


--
-- Name: COLUMN products.search; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.search IS 'Full-text vector: name weight A, description weight B (english).';


--
-- Name: COLUMN products.deleted_at; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.products.deleted_at IS 'Soft delete: set when an admin deletes the product.';


--
-- Name: products_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.products ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.products_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: users; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.users (
    id bigint NOT NULL,
    email character varying(255) NOT NULL,
    password_hash text NOT NULL,
    first_name character varying(100) NOT NULL,
    last_name character varying(100) NOT NULL,
    role text DEFAULT 'customer'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_email_format CHECK (((email)::text ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'::text)),
    CONSTRAINT users_first_name_not_blank CHECK ((btrim((first_name)::text) <> ''::text)),
    CONSTRAINT users_last_name_not_blank CHECK ((btrim((last_name)::text) <> ''::text)),
    CONSTRAINT users_password_is_bcrypt CHECK ((password_hash ~~ '$2_$%'::text)),
    CONSTRAINT users_role_known CHECK ((role = ANY (ARRAY['customer'::text, 'admin'::text])))
);


--
-- Name: TABLE users; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.users IS 'Customers and admins. Passwords are bcrypt hashes made in the database.';


--
-- Name: COLUMN users.email; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.users.email IS 'Login; unique regardless of letter case (users_email_lower_key).';


--
-- Name: COLUMN users.password_hash; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.users.password_hash IS 'bcrypt hash (pgcrypto crypt/gen_salt(''bf'')); never leaves the database.';


--
-- Name: COLUMN users.role; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.users.role IS 'customer or admin; only an admin (or make admin) changes it.';


--
-- Name: users_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.users ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: categories categories_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.categories
    ADD CONSTRAINT categories_pkey PRIMARY KEY (id);


--
-- Name: products products_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: categories_name_lower_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX categories_name_lower_key ON shop.categories USING btree (lower((name)::text));


--
-- Name: categories_parent_id_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX categories_parent_id_idx ON shop.categories USING btree (parent_id);


--
-- Name: products_category_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_category_idx ON shop.products USING btree (category_id) WHERE (deleted_at IS NULL);


--
-- Name: products_name_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_name_idx ON shop.products USING btree (name, id) WHERE ((deleted_at IS NULL) AND is_active);


--
-- Name: products_name_trgm_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_name_trgm_idx ON shop.products USING gin (name public.gin_trgm_ops);


--
-- Name: products_newest_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_newest_idx ON shop.products USING btree (created_at, id) WHERE ((deleted_at IS NULL) AND is_active);


--
-- Name: products_price_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_price_idx ON shop.products USING btree (price, id) WHERE ((deleted_at IS NULL) AND is_active);


--
-- Name: products_search_idx; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX products_search_idx ON shop.products USING gin (search);


--
-- Name: products_sku_live_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX products_sku_live_key ON shop.products USING btree (sku) WHERE (deleted_at IS NULL);


--
-- Name: users_email_lower_key; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX users_email_lower_key ON shop.users USING btree (lower((email)::text));


--
-- Name: categories tg_categories__no_cycle; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_categories__no_cycle BEFORE UPDATE OF parent_id ON shop.categories FOR EACH ROW EXECUTE FUNCTION shop.tg_categories__no_cycle();


--
-- Name: categories tg_categories__set_updated_at; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_categories__set_updated_at BEFORE UPDATE ON shop.categories FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: products tg_products__set_updated_at; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_products__set_updated_at BEFORE UPDATE ON shop.products FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: users tg_users__set_updated_at; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER tg_users__set_updated_at BEFORE UPDATE ON shop.users FOR EACH ROW EXECUTE FUNCTION shop.tg__set_updated_at();


--
-- Name: categories categories_parent_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.categories
    ADD CONSTRAINT categories_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES shop.categories(id);


--
-- Name: products products_category_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.products
    ADD CONSTRAINT products_category_id_fkey FOREIGN KEY (category_id) REFERENCES shop.categories(id);


--
-- PostgreSQL database dump complete
--

\unrestrict dbmate


--
-- Dbmate schema migrations
--

INSERT INTO public.schema_migrations (version) VALUES
    ('20261124190000'),
    ('20261124190100'),
    ('20261124190200');
