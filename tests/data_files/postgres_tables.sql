-- Three tables as a product team has them: web visits, NPS answers, feature usage (uuid, jsonb).
-- Some emails are null, as in real data: those rows can name no person and are rejected.
CREATE TABLE web_visits (
    visit_id bigint PRIMARY KEY,
    visitor_email text,
    visitor_name text,
    page_title text NOT NULL,
    page_url text NOT NULL,
    visited_at timestamp NOT NULL,
    seconds_on_page integer
);
INSERT INTO web_visits
SELECT 9000000000 + n,
       CASE WHEN n % 10 = 0 THEN NULL ELSE 'visitor' || n || '@acme.example' END,
       'Visitor Ñandú ' || n,
       'Pricing – plan ' || (n % 3),
       'https://acme.example/pricing/' || n,
       timestamp '2026-11-20 08:00:00' + n * interval '1 minute',
       n * 7
FROM generate_series(1, 30) AS n;

CREATE TABLE nps_answers (
    answer_id serial PRIMARY KEY,
    email text,
    survey text NOT NULL,
    score integer NOT NULL,
    comment text,
    answered_at timestamptz NOT NULL
);
INSERT INTO nps_answers (email, survey, score, comment, answered_at)
SELECT 'rater' || n || '@globex.example', 'Quarterly NPS', n % 11, 'Comment ' || n,
       timestamptz '2026-11-21 10:00:00+02' + n * interval '1 hour'
FROM generate_series(1, 12) AS n;

CREATE TABLE feature_usage (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_email text,
    feature_name text NOT NULL,
    used_at timestamp NOT NULL,
    details jsonb
);
INSERT INTO feature_usage (user_email, feature_name, used_at, details)
SELECT CASE WHEN n % 8 = 0 THEN NULL ELSE 'user' || n || '@initech.example' END,
       'Forecast board', timestamp '2026-11-22 09:00:00' + n * interval '1 second',
       jsonb_build_object('clicks', n, 'tags', jsonb_build_array('a', 'b'))
FROM generate_series(1, 16) AS n;
