-- Three tables as a product team keeps them in MariaDB (issue 20): usage events with
-- DATETIME(3) and emails, webinar attendance keyed by (webinar, email), NPS answers with a
-- TIMESTAMP. Dirty as real data is: a bad email, NULL emails, a 'not a url', zero dates and
-- NULLs in an unmapped DATE column, emoji (4-byte UTF-8) in titles and comments.
SET SESSION sql_mode = '';
SET SESSION time_zone = '+00:00';
SET NAMES utf8mb4;

CREATE TABLE usage_events (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    user_email VARCHAR(255),
    feature_name VARCHAR(100) NOT NULL,
    feature_url VARCHAR(255),
    registered_on DATE,
    updated_at DATETIME(3) NOT NULL,
    clicks INT NOT NULL
) DEFAULT CHARSET = utf8mb4;
INSERT INTO usage_events (user_email, feature_name, feature_url, registered_on, updated_at, clicks)
SELECT CASE WHEN seq = 7 THEN 'not-an-email'
            WHEN seq % 20 = 0 THEN NULL
            ELSE CONCAT('user', seq, '@initech.example') END,
       CONCAT('Forecast board ', seq % 4, IF(seq % 5 = 0, ' 🚀', '')),
       IF(seq = 11, 'not a url', CONCAT('https://app.initech.example/features/', seq % 4)),
       CASE WHEN seq % 9 = 0 THEN '0000-00-00' WHEN seq % 4 = 0 THEN NULL
            ELSE DATE('2026-01-01') + INTERVAL seq DAY END,
       TIMESTAMP('2026-11-22 09:00:00.125') + INTERVAL seq MINUTE,
       seq * 3
FROM seq_1_to_120;

CREATE TABLE webinar_attendance (
    webinar_id INT NOT NULL,
    attendee_email VARCHAR(255) NOT NULL,
    webinar_title VARCHAR(200) NOT NULL,
    minutes_attended INT,
    joined_at DATETIME(3) NOT NULL,
    PRIMARY KEY (webinar_id, attendee_email)
) DEFAULT CHARSET = utf8mb4;
INSERT INTO webinar_attendance
SELECT 1 + seq % 2, CONCAT('attendee', seq, '@globex.example'),
       IF(seq % 2 = 0, 'Pipeline hygiene 🎉', 'Forecasting live'),
       IF(seq % 6 = 0, NULL, 10 + seq),
       TIMESTAMP('2026-11-23 16:00:00.500') + INTERVAL seq SECOND
FROM seq_1_to_40;

CREATE TABLE nps_answers (
    answer_id INT PRIMARY KEY AUTO_INCREMENT,
    email VARCHAR(255),
    score TINYINT NOT NULL,
    comment TEXT,
    answered_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) DEFAULT CHARSET = utf8mb4;
INSERT INTO nps_answers (email, score, comment, answered_at)
SELECT IF(seq % 15 = 0, NULL, CONCAT('rater', seq, '@hooli.example')), seq % 11,
       CASE WHEN seq % 3 = 0 THEN NULL WHEN seq % 3 = 1 THEN 'Love it 😍' ELSE 'Slow exports' END,
       TIMESTAMP('2026-11-24 10:00:00') + INTERVAL seq HOUR
FROM seq_1_to_30;
