//! Times as requests, approvals and assignments show them: in the person's own time zone
//! and language ("24 Nov 2026"), or relative to now ("2 days ago", "in 13 days").
//!
//! The domain never reads a clock; the browser's clock is read here, once per use.

use time::{Duration, OffsetDateTime};
use wasm_bindgen::JsValue;

/// Now, from the browser's clock.
pub(crate) fn now() -> OffsetDateTime {
    from_millis(js_sys::Date::now())
}

/// A date in the person's language, such as "24 Nov 2026".
pub(crate) fn date(at: OffsetDateTime) -> String {
    let options = js_options(&[("day", "numeric"), ("month", "short"), ("year", "numeric")]);
    js_date(at)
        .to_locale_date_string(&language(), &options)
        .into()
}

/// A date with the time of day, such as "24 Nov 2026, 14:05".
pub(crate) fn date_time(at: OffsetDateTime) -> String {
    let options = js_options(&[
        ("day", "numeric"),
        ("month", "short"),
        ("year", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
    ]);
    js_date(at).to_locale_string(&language(), &options).into()
}

/// How long ago, or how far ahead, `at` is: "just now", "5 minutes ago", "yesterday",
/// "2 days ago", "in 3 hours", "in 13 days".
pub(crate) fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let difference = now - at;
    match difference.is_negative() {
        false => ago(difference),
        true => ahead(-difference),
    }
}

/// How long since `at`, as a span: "less than a minute", "5 minutes", "1 hour", "2 days".
pub(crate) fn elapsed(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let difference = now - at;
    let plural = |count: i64, unit: &str| match count {
        1 => format!("1 {unit}"),
        count => format!("{count} {unit}s"),
    };
    match (
        difference.whole_days(),
        difference.whole_hours(),
        difference.whole_minutes(),
    ) {
        (0, 0, minutes) if minutes < 1 => "less than a minute".to_owned(),
        (0, 0, minutes) => plural(minutes, "minute"),
        (0, hours, _) => plural(hours, "hour"),
        (days, _, _) => plural(days, "day"),
    }
}

/// The `YYYY-MM-DD` value of a date input for the local day that holds `at`.
pub(crate) fn date_input_value(at: OffsetDateTime) -> String {
    let local = js_date(at);
    format!(
        "{:04}-{:02}-{:02}",
        local.get_full_year(),
        local.get_month() + 1,
        local.get_date()
    )
}

/// The value of a date input that holds a chosen day (an end date): `YYYY-MM-DD` of the
/// local day, or an empty box for the epoch (no day chosen yet).
pub(crate) fn day_input_value(at: OffsetDateTime) -> String {
    match at.unix_timestamp() <= 0 {
        true => String::new(),
        false => date_input_value(at),
    }
}

/// The last second of the local day a date input holds; the epoch when the box is empty or
/// holds nonsense, which the domain refuses as an end in the past.
pub(crate) fn end_of_day_input(text: &str) -> OffsetDateTime {
    parse_date_input(text)
        .map(|(_, last)| last)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The local day a date input holds: its first and its last second. `None` for an empty or
/// malformed value.
pub(crate) fn parse_date_input(text: &str) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let (year, month, day) = split_date(text)?;
    let month = i32::from(month) - 1;
    let day = i32::from(day);
    let first = js_sys::Date::new_with_year_month_day(year, month, day);
    let last = js_sys::Date::new_with_year_month_day_hr_min_sec(year, month, day, 23, 59, 59);
    let first = from_millis(first.get_time());
    let last = from_millis(last.get_time());
    // The Date constructor rolls 31 February over into March; refuse such days.
    match date_input_value(first) == text.trim() {
        true => Some((first, last)),
        false => None,
    }
}

fn split_date(text: &str) -> Option<(u32, u8, u8)> {
    let mut parts = text.trim().splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    Some((year, month, day))
}

fn ago(difference: Duration) -> String {
    let minutes = difference.whole_minutes();
    let hours = difference.whole_hours();
    let days = difference.whole_days();
    match (days, hours, minutes) {
        (0, 0, 0) => "just now".to_owned(),
        (0, 0, 1) => "1 minute ago".to_owned(),
        (0, 0, minutes) => format!("{minutes} minutes ago"),
        (0, 1, _) => "1 hour ago".to_owned(),
        (0, hours, _) => format!("{hours} hours ago"),
        (1, _, _) => "yesterday".to_owned(),
        (days, _, _) => format!("{days} days ago"),
    }
}

fn ahead(difference: Duration) -> String {
    // Rounded to the nearest unit: a 7-day timeout read a moment later is still "in 7 days".
    let minutes = (difference + Duration::seconds(30)).whole_minutes();
    let hours = (difference + Duration::minutes(30)).whole_hours();
    let days = (difference + Duration::hours(12)).whole_days();
    match (days, hours, minutes) {
        (0, 0, 0 | 1) => "in a minute".to_owned(),
        (0, 0, minutes) => format!("in {minutes} minutes"),
        (0, 1, _) => "in 1 hour".to_owned(),
        (0, hours, _) => format!("in {hours} hours"),
        (1, _, _) => "in 1 day".to_owned(),
        (days, _, _) => format!("in {days} days"),
    }
}

fn from_millis(millis: f64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(millis as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn js_date(at: OffsetDateTime) -> js_sys::Date {
    let millis = (at.unix_timestamp_nanos() / 1_000_000) as f64;
    js_sys::Date::new(&JsValue::from_f64(millis))
}

fn js_options(pairs: &[(&str, &str)]) -> JsValue {
    let options = js_sys::Object::new();
    for (name, value) in pairs {
        let _ = js_sys::Reflect::set(&options, &(*name).into(), &(*value).into());
    }
    options.into()
}

/// The browser's preferred language, for dates as the person reads them.
fn language() -> String {
    leptos::prelude::window()
        .navigator()
        .language()
        .unwrap_or_else(|| "en-GB".to_owned())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn check(at: OffsetDateTime, expected: &str) {
        assert_eq!(relative(at, datetime!(2026-03-10 12:00 UTC)), expected);
    }

    #[test]
    fn past_times_read_as_ago() {
        check(datetime!(2026-03-10 11:59:30 UTC), "just now");
        check(datetime!(2026-03-10 11:59 UTC), "1 minute ago");
        check(datetime!(2026-03-10 11:15 UTC), "45 minutes ago");
        check(datetime!(2026-03-10 10:30 UTC), "1 hour ago");
        check(datetime!(2026-03-09 14:00 UTC), "22 hours ago");
        check(datetime!(2026-03-09 11:00 UTC), "yesterday");
        check(datetime!(2026-03-08 12:00 UTC), "2 days ago");
    }

    #[test]
    fn future_times_read_as_in() {
        check(datetime!(2026-03-10 12:00:30 UTC), "in a minute");
        check(datetime!(2026-03-10 12:20 UTC), "in 20 minutes");
        check(datetime!(2026-03-10 15:00 UTC), "in 3 hours");
        check(datetime!(2026-03-11 13:00 UTC), "in 1 day");
        check(datetime!(2026-03-23 12:00 UTC), "in 13 days");
        check(datetime!(2026-03-17 11:59 UTC), "in 7 days");
    }

    #[test]
    fn spans_read_in_the_largest_whole_unit() {
        let now = datetime!(2026-03-10 12:00 UTC);
        assert_eq!(
            elapsed(datetime!(2026-03-10 11:59:40 UTC), now),
            "less than a minute"
        );
        assert_eq!(elapsed(datetime!(2026-03-10 11:59 UTC), now), "1 minute");
        assert_eq!(elapsed(datetime!(2026-03-10 09:00 UTC), now), "3 hours");
        assert_eq!(elapsed(datetime!(2026-03-08 11:00 UTC), now), "2 days");
    }

    #[test]
    fn date_inputs_split_into_numbers() {
        assert_eq!(split_date("2026-03-09"), Some((2026, 3, 9)));
        assert_eq!(split_date(""), None);
        assert_eq!(split_date("2026-3"), None);
    }
}
