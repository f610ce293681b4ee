-- The seed scenario's target table: about 3.5M rows per import.
CREATE TABLE IF NOT EXISTS advertisers (
  advertiser_id bigint PRIMARY KEY,
  advertiser_name text NOT NULL,
  advertiser_name_normalized text,
  country char(2),
  created_at timestamptz,
  spend numeric(12,2)
);
CREATE INDEX IF NOT EXISTS advertisers_name ON advertisers (advertiser_name);
CREATE INDEX IF NOT EXISTS advertisers_name_normalized ON advertisers (advertiser_name_normalized);
CREATE INDEX IF NOT EXISTS advertisers_country ON advertisers (country);
