-- The rows the seed scenario starts from. bulkhead local runs the *.sql files of a scenario folder in name order,
-- before any runner starts; every statement here is safe to run again on a server that has them already.
--
-- advertisers already holds 100,000 rows, as a production table would: into an empty table the import takes its
-- fast path (drop the secondary indexes, load, rebuild), and the seed's question is about the chunked
-- INSERT ... ON CONFLICT that maintains all four indexes row by row. The generated CSV's ids follow the last id
-- in the table, so every run imports new rows, as the seed's ~3.5M new rows per import do.
INSERT INTO advertisers (advertiser_id, advertiser_name, advertiser_name_normalized, country, created_at, spend)
SELECT g, 'Existing advertiser ' || g, 'existing advertiser ' || g, 'US', '2024-01-01T00:00:00Z', g % 1000
FROM generate_series(1, 100000) g
ON CONFLICT (advertiser_id) DO NOTHING;
ANALYZE advertisers;

-- Enough pending creatives that three sleep workers (about 280 items/s together) do not run dry: 300,000 last
-- about 18 minutes. Tops the queue up rather than adding the same number every run.
INSERT INTO creatives_fresh (creative_url)
SELECT 'https://cdn.example.com/creatives/fresh-' || g || '.png'
FROM generate_series(1, greatest(0, 300000 - (SELECT count(*) FROM creatives_fresh WHERE status = 'pending'))) g;
ANALYZE creatives_fresh;
