//! Timestamp marker lines in saved captures, and turning them into instants.
//!
//! Operators capture socket tables in shell loops such as
//! `while true; do date; ss -tan; sleep 5; done > host1.log`, so a capture is
//! a run of snapshots separated by lines that carry the time. This module owns
//! recognizing those marker lines ([`parse_timestamp_line`]) and resolving
//! what they say into instants ([`resolve`], under an optional [`TzPolicy`]
//! from `--tz`). It knows nothing about the socket rows themselves.
//!
//! Recognized lines (leading and trailing blanks and a trailing `\r` are
//! tolerated):
//!
//! ```text
//! Tue Mar  5 10:00:00 UTC 2024            date(1), C locale
//! Tue Mar  5 10:00:00 2024                date +%c, ctime(3)
//! Tue 05 Mar 2024 10:00:00 PM CET         date(1), en_US and alike
//! Tue Mar  5 10:00:00 AM UTC 2024         12-hour clock, C-like layout
//! Tue 05 Mar 10:00:00 GMT 2024            date(1), en_GB and alike
//! Tue, 05 Mar 2024 10:00:00 +0000         date -R (RFC 2822)
//! 2024-03-05T10:00:00,123456789+01:00     date -Ins (ISO 8601 / RFC 3339)
//! 2024-03-05 10:00:00+00:00               date --rfc-3339=seconds
//! 2024-03-05 10:00:00                     date '+%F %T' (also `.123`, ` UTC`)
//! 2024/03/05 10:00:00
//! 1709632800.123456                       date +%s.%N (years 2000..2100 only)
//! zzz ***Tue Mar 5 10:00:00 UTC 2024      OSWatcher
//! zzz <03/05/2024 10:00:00> subcount: 3   OSWatcher, MM/DD/YYYY
//! === Tue Mar  5 10:00:00 UTC 2024 ===    banners made of = - # * ~ and brackets
//! [2024-03-05 10:00:00]
//! # date: 2024-03-05 10:00:00             a banner opener, a short label
//! Every 5.0s: ss -s   host: Tue Mar  5 10:00:00 2024      watch(1) header
//! ```
//!
//! Shell echo lines (`$ date`, `+ date` from `set -x`) are not markers: the
//! line after them, date's output, is.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::OffsetName;
use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take, take_while_m_n},
    character::complete::{alpha1, char, digit1, one_of, space1},
    combinator::opt,
    sequence::preceded,
};

/// A time read from a capture line, before time-zone resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawTime {
    /// The wall-clock date and time as written.
    pub naive: NaiveDateTime,
    /// What the line said about the zone of `naive`.
    pub zone: RawZone,
}

/// The zone information a marker line carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawZone {
    /// No zone in the text (`2024-03-05 10:00:00`).
    Naive,
    /// An explicit numeric offset or UTC/GMT/Z, or epoch seconds (UTC).
    Fixed(FixedOffset),
    /// A zone abbreviation such as `CET` or `CST`; bytes kept (max 6, ASCII), len
    Abbrev([u8; 6], u8),
}

impl RawZone {
    /// The text of an [`RawZone::Abbrev`] (`"CET"`), e.g. to report an unknown one.
    pub fn abbreviation(&self) -> Option<&str> {
        match self {
            RawZone::Abbrev(bytes, len) => std::str::from_utf8(bytes.get(..usize::from(*len))?).ok(),
            _ => None,
        }
    }

    /// A zone word as printed by `date`: 1–6 upper-case ASCII letters.
    /// Upper case only, so that an ordinary word after a time (`... 10:00:00 done`)
    /// is not mistaken for a zone. The UTC names become a fixed zero offset,
    /// since no `--tz` should reinterpret them.
    fn from_word(word: &[u8]) -> Option<RawZone> {
        if word.is_empty() || word.len() > 6 || !word.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        if is_utc_name(word) {
            return Some(RawZone::Fixed(Utc.fix()));
        }
        let mut bytes = [0u8; 6];
        bytes[..word.len()].copy_from_slice(word);
        Some(RawZone::Abbrev(bytes, u8::try_from(word.len()).ok()?))
    }
}

fn is_utc_name(word: &[u8]) -> bool {
    [&b"UTC"[..], b"GMT", b"UT", b"Z"].iter().any(|u| word.eq_ignore_ascii_case(u))
}

/// Longest line looked at. Real markers are well under 100 bytes, but `watch`
/// right-aligns its clock to the terminal width, so leave room for a wide
/// terminal. Anything longer (multi-MB junk lines exist) is rejected unread.
const MAX_LINE: usize = 1024;
/// Shortest possible marker: nine digits of epoch seconds.
const MIN_LINE: usize = 9;
/// How far from the end of a `watch` header its clock may start.
const WATCH_TAIL: usize = 48;
/// Epoch seconds outside [2000-01-01, 2100-01-01) are taken for a stray number.
const EPOCH_MIN: i64 = 946_684_800;
const EPOCH_MAX: i64 = 4_102_444_800;

/// Recognizes a whole line (line terminator already stripped; a trailing `\r`
/// and surrounding blanks are tolerated) as a timestamp marker.
///
/// Returns `None` for anything else, cheaply: this runs on every line of
/// multi-GB captures, so socket rows are rejected on their first byte(s),
/// lines over 1 KiB are rejected unread, and nothing allocates.
pub fn parse_timestamp_line(line: &[u8]) -> Option<RawTime> {
    if line.len() > MAX_LINE {
        return None;
    }
    let line = line.trim_ascii();
    if line.len() < MIN_LINE {
        return None;
    }
    // Dispatch on the first byte: socket rows (`tcp`, `udp`, `ESTAB`, `LISTEN`,
    // `ipv4`, `unix`, `State`, `Total:`...) fail here or within three bytes.
    match line[0] {
        b'0'..=b'9' | b'M' | b'T' | b'W' | b'F' | b'S' | b'm' | b't' | b'w' | b'f' | b's' => {
            whole(bare(line))
        }
        b'E' => watch_header(line),
        b'z' => oswatcher(line),
        b if is_banner_open(b) => banner(line),
        _ => None,
    }
}

type Res<'a, T> = IResult<&'a [u8], T>;

/// A recoverable parse failure at `i`.
fn fail<T>(i: &[u8]) -> Res<'_, T> {
    Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify)))
}

/// Accepts a parse only if it consumed the whole input.
fn whole(r: Res<'_, RawTime>) -> Option<RawTime> {
    match r {
        Ok(([], time)) => Some(time),
        _ => None,
    }
}

/// Any marker without decoration, dispatched on its first bytes.
fn bare(i: &[u8]) -> Res<'_, RawTime> {
    match i {
        [b'0'..=b'9', _, _, _, b'-' | b'/', ..] => iso(i),
        [b'0'..=b'9', ..] => epoch(i),
        [b'A'..=b'Z' | b'a'..=b'z', ..] => weekday_led(i),
        _ => fail(i),
    }
}

/// Value of a run of at most 19 ASCII digits (callers bound the run).
fn digits_value(digits: &[u8]) -> u64 {
    digits.iter().fold(0, |acc, &b| acc * 10 + u64::from(b - b'0'))
}

/// An unsigned number of `min..=max` digits (`max` ≤ 9).
fn uint<'a>(min: usize, max: usize) -> impl FnMut(&'a [u8]) -> Res<'a, u32> {
    move |i| {
        let (rest, digits) = take_while_m_n(min, max, |b: u8| b.is_ascii_digit()).parse(i)?;
        match u32::try_from(digits_value(digits)) {
            Ok(v) => Ok((rest, v)),
            Err(_) => fail(i),
        }
    }
}

/// `.123` or `,123456789` (`date -Ins` uses a comma) as nanoseconds; digits
/// past the ninth are dropped rather than rejected.
fn fraction(i: &[u8]) -> Res<'_, u32> {
    let (rest, (_, digits)) = (one_of(".,"), digit1).parse(i)?;
    let nanos = (0..9).fold(0u32, |acc, k| acc * 10 + digits.get(k).map_or(0, |&b| u32::from(b - b'0')));
    Ok((rest, nanos))
}

/// Wall-clock time of day; ranges are checked by chrono when the date is built.
#[derive(Debug, Clone, Copy)]
struct Clock {
    hour: u32,
    min: u32,
    sec: u32,
    nano: u32,
}

/// `H:MM`, `HH:MM:SS`, `HH:MM:SS.fff`.
fn clock(i: &[u8]) -> Res<'_, Clock> {
    let (rest, (hour, _, min, secs)) =
        (uint(1, 2), char(':'), uint(2, 2), opt((char(':'), uint(2, 2), opt(fraction)))).parse(i)?;
    let (sec, nano) = secs.map_or((0, 0), |(_, s, f)| (s, f.unwrap_or(0)));
    Ok((rest, Clock { hour, min, sec, nano }))
}

/// `AM`/`PM` as a whole word, so the zone `AMT` is not read as AM + `T`.
/// Returns whether it is PM.
fn meridiem(i: &[u8]) -> Res<'_, bool> {
    let (rest, word) = alpha1(i)?;
    if word.eq_ignore_ascii_case(b"AM") {
        Ok((rest, false))
    } else if word.eq_ignore_ascii_case(b"PM") {
        Ok((rest, true))
    } else {
        fail(i)
    }
}

/// `+01`, `+0100`, `+01:00` (also numeric tzdata abbreviations like `+03`).
fn offset(i: &[u8]) -> Res<'_, FixedOffset> {
    let (rest, (sign, hours, mins)) =
        (one_of("+-"), uint(2, 2), opt(preceded(opt(char(':')), uint(2, 2)))).parse(i)?;
    let mins = mins.unwrap_or(0);
    if hours > 23 || mins > 59 {
        return fail(i);
    }
    let secs = i32::try_from(hours * 3600 + mins * 60).unwrap_or(i32::MAX);
    match FixedOffset::east_opt(if sign == '-' { -secs } else { secs }) {
        Some(off) => Ok((rest, off)),
        None => fail(i),
    }
}

/// A zone token: a numeric offset or an abbreviation (see [`RawZone::from_word`]).
fn zone(i: &[u8]) -> Res<'_, RawZone> {
    if let Ok((rest, off)) = offset(i) {
        return Ok((rest, RawZone::Fixed(off)));
    }
    let (rest, word) = alpha1(i)?;
    match RawZone::from_word(word) {
        Some(z) => Ok((rest, z)),
        None => fail(i),
    }
}

/// A time of day with optional AM/PM and optional zone:
/// `10:00:00`, `10:00:00 PM CET`, `10:00:00 +0100`.
fn time_block(i: &[u8]) -> Res<'_, (Clock, RawZone)> {
    let (i, mut c) = clock(i)?;
    let (i, pm) = opt(preceded(space1, meridiem)).parse(i)?;
    if let Some(pm) = pm {
        // 12-hour clock: 12 AM is midnight, 12 PM is noon; 0 and 13+ are invalid.
        if !(1..=12).contains(&c.hour) {
            return fail(i);
        }
        c.hour = c.hour % 12 + if pm { 12 } else { 0 };
    }
    let (i, z) = opt(preceded(space1, zone)).parse(i)?;
    Ok((i, (c, z.unwrap_or(RawZone::Naive))))
}

/// Builds the naive date-time, rejecting impossible dates (`Feb 30`, hour 25).
fn build(rest: &[u8], year: u32, month: u32, day: u32, c: Clock, zone: RawZone) -> Res<'_, RawTime> {
    let naive = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .and_then(|d| d.and_hms_nano_opt(c.hour, c.min, c.sec, c.nano));
    match naive {
        Some(naive) => Ok((rest, RawTime { naive, zone })),
        None => fail(rest),
    }
}

const WEEKDAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const MONTHS: [&[u8]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// Three-letter English weekday; the weekday is not checked against the date
/// (date(1) always gets it right, and a mismatch is no reason to lose a snapshot).
fn weekday(i: &[u8]) -> Res<'_, ()> {
    let (rest, word) = take(3usize).parse(i)?;
    if WEEKDAYS.iter().any(|d| d.eq_ignore_ascii_case(word)) { Ok((rest, ())) } else { fail(i) }
}

/// Three-letter English month, as its number.
fn month_name(i: &[u8]) -> Res<'_, u32> {
    let (rest, word) = take(3usize).parse(i)?;
    match MONTHS.iter().position(|m| m.eq_ignore_ascii_case(word)) {
        Some(idx) => Ok((rest, u32::try_from(idx).unwrap_or(0) + 1)),
        None => fail(i),
    }
}

/// date(1) in glibc locales and RFC 2822. After the weekday come day and month
/// in either order, then either the year and the time (en_US, RFC 2822) or the
/// time and the year (C, en_GB); the zone always follows the time.
fn weekday_led(i: &[u8]) -> Res<'_, RawTime> {
    let (i, _) = (weekday, opt(char(',')), space1).parse(i)?;
    let (i, (day, month)) = alt((
        (month_name, space1, uint(1, 2)).map(|(m, _, d)| (d, m)),
        (uint(1, 2), space1, month_name).map(|(d, _, m)| (d, m)),
    ))
    .parse(i)?;
    let (rest, (year, (c, z))) = alt((
        (space1, uint(4, 4), space1, time_block).map(|(_, y, _, t)| (y, t)),
        (space1, time_block, space1, uint(4, 4)).map(|(_, t, _, y)| (y, t)),
    ))
    .parse(i)?;
    build(rest, year, month, day, c, z)
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.f]][Z|±HH[:MM]| zone]`, also with `/` in the date.
fn iso(i: &[u8]) -> Res<'_, RawTime> {
    let (i, (year, sep, month)) = (uint(4, 4), one_of("-/"), uint(1, 2)).parse(i)?;
    let (i, (_, day, _, c)) =
        (char(sep), uint(1, 2), alt((one_of("Tt").map(|_| ()), space1.map(|_| ()))), clock).parse(i)?;
    let (rest, z) = opt(alt((
        one_of("Zz").map(|_| RawZone::Fixed(Utc.fix())),
        offset.map(RawZone::Fixed),
        preceded(space1, zone),
    )))
    .parse(i)?;
    build(rest, year, month, day, c, z.unwrap_or(RawZone::Naive))
}

/// `1709632800` or `1709632800.123456`: 9–10 digits within [`EPOCH_MIN`, `EPOCH_MAX`).
fn epoch(i: &[u8]) -> Res<'_, RawTime> {
    let (rest, (digits, nano)) =
        (take_while_m_n(9, 10, |b: u8| b.is_ascii_digit()), opt(fraction)).parse(i)?;
    let secs = i64::try_from(digits_value(digits)).unwrap_or(i64::MAX);
    if !(EPOCH_MIN..EPOCH_MAX).contains(&secs) {
        return fail(i);
    }
    match DateTime::from_timestamp(secs, nano.unwrap_or(0)) {
        Some(dt) => Ok((rest, RawTime { naive: dt.naive_utc(), zone: RawZone::Fixed(Utc.fix()) })),
        None => fail(i),
    }
}

fn is_banner_open(b: u8) -> bool {
    matches!(b, b'=' | b'-' | b'#' | b'*' | b'~' | b'[' | b'<' | b'>' | b'(')
}

fn is_banner_close(b: u8) -> bool {
    matches!(b, b'=' | b'-' | b'#' | b'*' | b'~' | b']' | b'>' | b')') || b.is_ascii_whitespace()
}

/// Accepts a parse if only banner closers (`===`, `]`, ...) follow it.
fn closed(r: Res<'_, RawTime>) -> Option<RawTime> {
    let (rest, time) = r.ok()?;
    rest.iter().all(|&b| is_banner_close(b)).then_some(time)
}

/// `=== <marker> ===`, `----- <marker> -----`, `[<marker>]`, `# date: <marker>`.
fn banner(line: &[u8]) -> Option<RawTime> {
    let open = line.iter().take_while(|&&b| is_banner_open(b)).count();
    let after = &line[open..];
    let body = after.trim_ascii_start();
    // A lone dash or hash glued to text is a negative number or a comment
    // (`-1709632800`); brackets are wrappers even without a blank.
    if open == 1 && body.len() == after.len() && !matches!(line[0], b'[' | b'<' | b'(') {
        return None;
    }
    closed(bare(skip_label(body)))
}

/// Skips `date: ` / `Timestamp: ` (a short word, a colon, blanks) in a banner.
fn skip_label(i: &[u8]) -> &[u8] {
    let label: Res<'_, _> =
        (take_while_m_n(1, 16, |b: u8| b.is_ascii_alphabetic() || b == b'_'), char(':'), space1).parse(i);
    label.map_or(i, |(rest, _)| rest)
}

/// OSWatcher: `zzz ***<date output>` or `zzz <MM/DD/YYYY HH:MM:SS>` followed by
/// anything (a subcount).
fn oswatcher(line: &[u8]) -> Option<RawTime> {
    let after = line.strip_prefix(b"zzz")?;
    let body = after.trim_ascii_start();
    if body.len() == after.len() {
        return None;
    }
    if let Some(stars) = body.strip_prefix(b"***") {
        return closed(bare(stars.trim_ascii_start()));
    }
    let (i, (_, month, _, day, _, year, _, c, _)) =
        (char('<'), uint(1, 2), char('/'), uint(1, 2), char('/'), uint(4, 4), space1, clock, char('>'))
            .parse(body)
            .ok()?;
    build(i, year, month, day, c, RawZone::Naive).ok().map(|(_, t)| t)
}

/// `Every 5.0s: <command>   <host>: <date output>`. The command is arbitrary
/// text and the clock is right-aligned at the end, so try each word start near
/// the end, leftmost first, and keep the first that parses to the end.
fn watch_header(line: &[u8]) -> Option<RawTime> {
    let head: Res<'_, _> = (tag("Every"), space1, digit1, opt((one_of(".,"), digit1)), tag("s:")).parse(line);
    let (rest, _) = head.ok()?;
    let from = rest.len().saturating_sub(WATCH_TAIL).max(1);
    (from..rest.len())
        .filter(|&p| rest[p - 1] == b' ' && rest[p] != b' ')
        .find_map(|p| whole(bare(&rest[p..])))
}

/// How naive times and abbreviations are turned into instants.
#[derive(Debug, Clone)]
pub enum TzPolicy {
    /// `--tz UTC`.
    Utc,
    /// A fixed offset (`--tz +02:00`), no DST.
    Fixed(FixedOffset),
    /// An IANA zone (`--tz Europe/Berlin`), DST applied.
    Named(chrono_tz::Tz),
}

impl TzPolicy {
    /// Parses a --tz value: "UTC", "+02:00", "-0530", "Europe/Berlin", "America/Chicago".
    pub fn parse(s: &str) -> Result<TzPolicy, String> {
        let s = s.trim();
        if is_utc_name(s.as_bytes()) {
            return Ok(TzPolicy::Utc);
        }
        if s.starts_with(['+', '-']) {
            return match offset(s.as_bytes()) {
                Ok(([], off)) => Ok(TzPolicy::Fixed(off)),
                _ => Err(format!("invalid UTC offset {s:?}: expected +HH:MM, +HHMM or +HH (hours up to 23)")),
            };
        }
        s.parse::<chrono_tz::Tz>().map(TzPolicy::Named).map_err(|_| {
            format!(
                "unknown time zone {s:?}: expected UTC, an offset such as +02:00 or -0530, \
                 or an IANA name such as Europe/Berlin"
            )
        })
    }

    /// Reads a wall-clock time in this zone. An abbreviation from the line
    /// settles a DST fold when it names exactly one of the two readings
    /// (`02:30 CET` vs `02:30 CEST` in Europe/Berlin).
    fn localize(
        &self,
        naive: &NaiveDateTime,
        abbrev: Option<&str>,
    ) -> Option<(DateTime<FixedOffset>, Resolution)> {
        let tz = match self {
            TzPolicy::Utc => return Some((at_offset(naive, Utc.fix())?, Resolution::Assumed)),
            TzPolicy::Fixed(off) => return Some((at_offset(naive, *off)?, Resolution::Assumed)),
            TzPolicy::Named(tz) => tz,
        };
        match tz.from_local_datetime(naive) {
            LocalResult::Single(dt) => Some((dt.fixed_offset(), Resolution::Assumed)),
            LocalResult::Ambiguous(a, b) => {
                let named = |dt: &DateTime<chrono_tz::Tz>| {
                    abbrev.is_some_and(|ab| {
                        dt.offset().abbreviation().is_some_and(|n| n.eq_ignore_ascii_case(ab))
                    })
                };
                match (named(&a), named(&b)) {
                    (true, false) => Some((a.fixed_offset(), Resolution::Assumed)),
                    (false, true) => Some((b.fixed_offset(), Resolution::Assumed)),
                    _ => Some((a.min(b).fixed_offset(), Resolution::Ambiguous)),
                }
            }
            // In a DST gap: the clock never showed this time.
            LocalResult::None => None,
        }
    }
}

/// Result of resolving: the instant, and how trustworthy the offset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The line carried an offset, UTC, or epoch seconds.
    Explicit,
    /// A naive time (or an abbreviation overridden by `--tz`) read in the
    /// `--tz` zone, or in the UTC default.
    Assumed,
    /// A zone abbreviation mapped by the built-in table.
    Abbreviation,
    /// A local time repeated by a DST fold; the earliest instant was chosen.
    /// (A local time in a DST gap does not resolve at all.)
    Ambiguous,
}

/// Common abbreviations and their UTC offsets in minutes. One reading per
/// name, the most common among Linux hosts: `CST` is US Central (not China),
/// `IST` India, `BST` British Summer Time. An operator who knows better passes
/// `--tz`, which takes precedence over this table.
const ABBREVIATIONS: &[(&str, i32)] = &[
    ("WET", 0),
    ("WEST", 60),
    ("BST", 60),
    ("IST", 330),
    ("CET", 60),
    ("CEST", 120),
    ("MET", 60),
    ("MEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("MSK", 180),
    ("EST", -300),
    ("EDT", -240),
    ("CST", -360),
    ("CDT", -300),
    ("MST", -420),
    ("MDT", -360),
    ("PST", -480),
    ("PDT", -420),
    ("AKST", -540),
    ("AKDT", -480),
    ("HST", -600),
    ("JST", 540),
    ("KST", 540),
    ("HKT", 480),
    ("SGT", 480),
    ("AEST", 600),
    ("AEDT", 660),
    ("ACST", 570),
    ("ACDT", 630),
    ("AWST", 480),
    ("NZST", 720),
    ("NZDT", 780),
];

/// The offset an abbreviation stands for with no `--tz`, and how sure that is.
fn abbreviation_offset(name: &str) -> Option<(FixedOffset, Resolution)> {
    if is_utc_name(name.as_bytes()) {
        return Some((Utc.fix(), Resolution::Explicit));
    }
    let &(_, mins) = ABBREVIATIONS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
    Some((FixedOffset::east_opt(mins * 60)?, Resolution::Abbreviation))
}

fn at_offset(naive: &NaiveDateTime, off: FixedOffset) -> Option<DateTime<FixedOffset>> {
    off.from_local_datetime(naive).single()
}

/// Turns a [`RawTime`] into an instant. An explicit offset is exact; a naive
/// time is read in `tz` (UTC if none); an abbreviation is read in `tz` if one
/// is given, else mapped by a built-in table. `None` for an unknown
/// abbreviation without `tz`, or a local time inside a DST gap.
pub fn resolve(raw: &RawTime, tz: Option<&TzPolicy>) -> Option<(DateTime<FixedOffset>, Resolution)> {
    match (raw.zone, tz) {
        (RawZone::Fixed(off), _) => Some((at_offset(&raw.naive, off)?, Resolution::Explicit)),
        (RawZone::Naive, None) => Some((at_offset(&raw.naive, Utc.fix())?, Resolution::Assumed)),
        (RawZone::Naive, Some(policy)) => policy.localize(&raw.naive, None),
        (zone @ RawZone::Abbrev(..), policy) => {
            let name = zone.abbreviation()?;
            match (abbreviation_offset(name), policy) {
                // The UTC names are unambiguous: no --tz reinterprets them.
                (Some((off, Resolution::Explicit)), _) => {
                    Some((at_offset(&raw.naive, off)?, Resolution::Explicit))
                }
                // The operator knows the capture host's zone better than the
                // table (CST may be China or US Central).
                (_, Some(policy)) => policy.localize(&raw.naive, Some(name)),
                (Some((off, res)), None) => Some((at_offset(&raw.naive, off)?, res)),
                (None, None) => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, s).unwrap()
    }

    fn off(secs: i32) -> FixedOffset {
        FixedOffset::east_opt(secs).unwrap()
    }

    fn utc() -> RawZone {
        RawZone::Fixed(off(0))
    }

    fn abbr(name: &str) -> RawZone {
        let z = RawZone::from_word(name.as_bytes()).unwrap();
        assert!(matches!(z, RawZone::Abbrev(..)), "{name} is not an abbreviation");
        z
    }

    fn parse(line: &str) -> Option<RawTime> {
        parse_timestamp_line(line.as_bytes())
    }

    #[track_caller]
    fn check(line: &str, naive: NaiveDateTime, zone: RawZone) {
        assert_eq!(parse(line), Some(RawTime { naive, zone }), "line {line:?}");
    }

    #[track_caller]
    fn none(line: &str) {
        assert_eq!(parse(line), None, "line {line:?}");
    }

    const T: (i32, u32, u32, u32, u32, u32) = (2024, 3, 5, 10, 0, 0);

    fn t0() -> NaiveDateTime {
        at(T.0, T.1, T.2, T.3, T.4, T.5)
    }

    #[test]
    fn date_c_locale() {
        check("Tue Mar  5 10:00:00 UTC 2024", t0(), utc());
        check("Tue Mar 15 10:00:00 CET 2024", at(2024, 3, 15, 10, 0, 0), abbr("CET"));
        check("Tue Mar  5 10:00:00 2024", t0(), RawZone::Naive);
        check("Sun Nov  3 01:30:00 CDT 2024", at(2024, 11, 3, 1, 30, 0), abbr("CDT"));
        check("Mon Dec 30 23:59:59 GMT 2024", at(2024, 12, 30, 23, 59, 59), utc());
        check("Wed Jan  1 00:00:00 AEDT 2025", at(2025, 1, 1, 0, 0, 0), abbr("AEDT"));
        // Zones without a tzdata abbreviation print numerically (`+03`).
        check("Tue Mar  5 13:00:00 +03 2024", at(2024, 3, 5, 13, 0, 0), RawZone::Fixed(off(3 * 3600)));
    }

    #[test]
    fn date_en_us_and_twelve_hour() {
        check("Tue 05 Mar 2024 10:00:00 AM UTC", t0(), utc());
        check("Tue 05 Mar 2024 10:00:00 PM CET", at(2024, 3, 5, 22, 0, 0), abbr("CET"));
        check("Tue Mar  5 10:00:00 AM UTC 2024", t0(), utc());
        check("Tue Mar  5 10:00:00 PM UTC 2024", at(2024, 3, 5, 22, 0, 0), utc());
        check("Tue 05 Mar 2024 10:00:00 AM +0100", t0(), RawZone::Fixed(off(3600)));
        check("Tue 05 Mar 2024 12:00:00 AM UTC", at(2024, 3, 5, 0, 0, 0), utc());
        check("Tue 05 Mar 2024 12:30:00 PM UTC", at(2024, 3, 5, 12, 30, 0), utc());
        check("Tue 05 Mar 2024 09:15:42 AM", at(2024, 3, 5, 9, 15, 42), RawZone::Naive);
        // `AMT` is a zone, not AM followed by garbage.
        check("Tue 05 Mar 2024 10:00:00 AMT", t0(), abbr("AMT"));
        none("Tue 05 Mar 2024 13:00:00 PM UTC");
        none("Tue 05 Mar 2024 00:00:00 AM UTC");
    }

    #[test]
    fn date_en_gb() {
        check("Tue 05 Mar 10:00:00 GMT 2024", t0(), utc());
        check("Tue 05 Mar 10:00:00 BST 2024", t0(), abbr("BST"));
    }

    #[test]
    fn rfc_2822() {
        check("Tue, 05 Mar 2024 10:00:00 +0000", t0(), utc());
        check("Tue, 5 Mar 2024 10:00:00 -0500", t0(), RawZone::Fixed(off(-5 * 3600)));
        check("Tue, 05 Mar 2024 10:00:00 GMT", t0(), utc());
    }

    #[test]
    fn iso_8601_and_rfc_3339() {
        check("2024-03-05T10:00:00+00:00", t0(), utc());
        let nanos = t0() + chrono::Duration::nanoseconds(123_456_789);
        check("2024-03-05T10:00:00,123456789+01:00", nanos, RawZone::Fixed(off(3600)));
        check("2024-03-05T10:00:00Z", t0(), utc());
        check("2024-03-05 10:00:00+00:00", t0(), utc());
        check("2024-03-05T10:00:00-05:30", t0(), RawZone::Fixed(off(-(5 * 3600 + 1800))));
        check("2024-03-05T10:00+01:00", t0(), RawZone::Fixed(off(3600)));
        check(
            "2024-03-05T10:00:00.5+0100",
            t0() + chrono::Duration::milliseconds(500),
            RawZone::Fixed(off(3600)),
        );
        none("2024-03-05T10:00:00+24:00");
        none("2024-03-05T10:00:00+01:60");
    }

    #[test]
    fn date_percent_f_percent_t() {
        check("2024-03-05 10:00:00", t0(), RawZone::Naive);
        check("2024-03-05 10:00:00 UTC", t0(), utc());
        check("2024-03-05 10:00:00 CEST", t0(), abbr("CEST"));
        check("2024-03-05 10:00:00 +0530", t0(), RawZone::Fixed(off(5 * 3600 + 1800)));
        check("2024-03-05 10:00:00.123", t0() + chrono::Duration::milliseconds(123), RawZone::Naive);
        check("2024/03/05 10:00:00", t0(), RawZone::Naive);
        // More than nanosecond precision is truncated, not rejected.
        check(
            "2024-03-05 10:00:00.1234567891",
            t0() + chrono::Duration::nanoseconds(123_456_789),
            RawZone::Naive,
        );
        none("2024-03/05 10:00:00");
        none("2024-03-05 10:00:00 done");
        none("2024-03-05 10:00:00 TOOLONGZ");
        none("2024-03-05");
    }

    #[test]
    fn epoch_seconds() {
        check("1709632800", t0(), utc());
        check("1709632800.123456", t0() + chrono::Duration::microseconds(123_456), utc());
        check("999999999", at(2001, 9, 9, 1, 46, 39), utc());
        check("946684800", at(2000, 1, 1, 0, 0, 0), utc());
        none("946684799");
        none("4102444800");
        none("17096328001");
        none("12345");
        none("123456789");
        none("1709632800.");
        none("1709632800 1709632800");
    }

    #[test]
    fn oswatcher_markers() {
        check("zzz ***Tue Mar 5 10:00:00 UTC 2024", t0(), utc());
        check("zzz ***Tue Mar  5 10:00:00 UTC 2024", t0(), utc());
        check("zzz ***Fri Mar 15 10:00:00 CET 2024", at(2024, 3, 15, 10, 0, 0), abbr("CET"));
        check("zzz <03/05/2024 10:00:00> subcount: 3", t0(), RawZone::Naive);
        check("zzz <12/31/2023 23:59:59>", at(2023, 12, 31, 23, 59, 59), RawZone::Naive);
        none("zzz <13/05/2024 10:00:00> subcount: 3");
        none("zzz ***");
        none("zzzTue Mar 5 10:00:00 UTC 2024");
    }

    #[test]
    fn banners() {
        check("=== Tue Mar  5 10:00:00 UTC 2024 ===", t0(), utc());
        check("----- 2024-03-05T10:00:00+00:00 -----", t0(), utc());
        check("### 2024-03-05 10:00:00", t0(), RawZone::Naive);
        check("# date: Tue Mar  5 10:00:00 UTC 2024", t0(), utc());
        check("[2024-03-05 10:00:00]", t0(), RawZone::Naive);
        check("*** 1709632800 ***", t0(), utc());
        check("==== 2024-03-05 10:00:00 -0100 ====", t0(), RawZone::Fixed(off(-3600)));
        check(">>> Timestamp: 2024-03-05 10:00:00", t0(), RawZone::Naive);
        none("=== Tue Mar  5 10:00:00 UTC 2024 === extra");
        none("-1709632800");
        none("# ss -tan");
        none("--");
    }

    #[test]
    fn shell_echo_is_not_a_marker() {
        none("$ date");
        none("+ date");
        none("+ 2024-03-05 10:00:00");
        none("$ date -Is");
        none("user@host:~$ date");
    }

    #[test]
    fn watch_header() {
        check("Every 5.0s: ss -s   host: Tue Mar  5 10:00:00 2024", t0(), RawZone::Naive);
        check("Every 2s: ss -tan                       db01: Tue Mar  5 10:00:00 2024", t0(), RawZone::Naive);
        check("Every 5.0s: netstat -an     Tue Mar  5 10:00:00 2024", t0(), RawZone::Naive);
        check("Every 1.0s: ss -s   host: Tue 05 Mar 2024 10:00:00 AM UTC", t0(), utc());
        none("Every 5.0s: ss -s   host: not a time");
        none("Everything is fine, Tue Mar  5 10:00:00 2024");
    }

    #[test]
    fn blanks_and_carriage_return() {
        check("Tue Mar  5 10:00:00 UTC 2024\r", t0(), utc());
        check("  2024-03-05 10:00:00   \r", t0(), RawZone::Naive);
        check("\t1709632800 \t", t0(), utc());
        check("=== Tue Mar  5 10:00:00 UTC 2024 ===\r", t0(), utc());
    }

    #[test]
    fn invalid_dates() {
        none("Fri Feb 30 10:00:00 UTC 2024");
        none("2024-02-30 10:00:00");
        none("2023-02-29T10:00:00Z");
        none("2024-03-05 25:00:00");
        none("2024-03-05 10:60:00");
        none("2024-13-05 10:00:00");
        none("Tue Mar  5 24:00:00 UTC 2024");
        none("Tue Foo  5 10:00:00 UTC 2024");
        check("Thu Feb 29 10:00:00 UTC 2024", at(2024, 2, 29, 10, 0, 0), utc());
    }

    #[test]
    fn socket_table_lines_are_not_markers() {
        for line in [
            "tcp        0      0 0.0.0.0:22   0.0.0.0:*   LISTEN",
            "tcp6       0      0 :::22                   :::*                    LISTEN",
            "udp        0      0 127.0.0.53:53           0.0.0.0:*",
            "ESTAB 0 0 127.0.0.1:22 127.0.0.1:5000",
            "LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*",
            "TIME-WAIT 0 0 10.0.0.1:443 10.0.0.2:51514",
            "SYN-SENT 0 1 10.0.0.1:51514 10.0.0.2:443",
            "FIN-WAIT-2 0 0 10.0.0.1:51514 10.0.0.2:443",
            "State  Recv-Q Send-Q Local Address:Port Peer Address:Port",
            "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
            "Proto Recv-Q Send-Q Local Address           Foreign Address         State",
            "Active Internet connections (servers and established)",
            "ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2",
            "Total: 509",
            "TCP:   129 (estab 32, closed 79, orphaned 0, timewait 17)",
            "Transport Total     IP        IPv6",
            "unix  2 [ ACC ] STREAM LISTENING 12345 /run/x.sock",
            "conntrack v1.4.7 (conntrack-tools): 5 flow entries have been shown.",
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt",
            "   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000",
            "\t users:((\"sshd\",pid=812,fd=3))",
            "12345",
            "",
            "   ",
            "\r",
        ] {
            none(line);
        }
    }

    #[test]
    fn garbage_and_huge_lines() {
        assert_eq!(parse_timestamp_line(&[0xff, 0xfe, 0x00, 0x80, 0x1b, b'[', b'0', b'm']), None);
        assert_eq!(parse_timestamp_line(&[b'2'; 64]), None);
        let mut huge = b"Tue Mar  5 10:00:00 UTC 2024 ".to_vec();
        huge.resize(1 << 20, b'x');
        assert_eq!(parse_timestamp_line(&huge), None);
        assert_eq!(parse_timestamp_line(&vec![b' '; 1 << 20]), None);
        assert_eq!(parse_timestamp_line(&vec![b'='; 1 << 20]), None);
        // A banner of the longest accepted length is still read to the end.
        let mut wide = vec![b'='; MAX_LINE - 40];
        wide.extend_from_slice(b" 2024-03-05 10:00:00");
        assert_eq!(parse_timestamp_line(&wide).map(|t| t.naive), Some(t0()));
    }

    #[test]
    fn capture_loop_output() {
        let capture = "$ date\n\
            Tue Mar  5 10:00:00 UTC 2024\n\
            State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
            ESTAB  0      0      10.0.0.1:22       10.0.0.2:50000\n\
            \n\
            Tue Mar  5 10:00:05 UTC 2024\r\n\
            State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
            LISTEN 0      128    0.0.0.0:22        0.0.0.0:*\n";
        let marks: Vec<_> = capture.lines().filter_map(parse).map(|t| t.naive).collect();
        assert_eq!(marks, vec![t0(), at(2024, 3, 5, 10, 0, 5)]);
    }

    #[test]
    fn abbreviation_text_is_kept() {
        let t = parse("Tue Mar  5 10:00:00 NZDT 2024").unwrap();
        assert_eq!(t.zone.abbreviation(), Some("NZDT"));
        assert_eq!(RawZone::Naive.abbreviation(), None);
        assert_eq!(utc().abbreviation(), None);
    }

    fn policy(s: &str) -> TzPolicy {
        TzPolicy::parse(s).unwrap()
    }

    fn resolved(raw: RawTime, tz: Option<&str>) -> Option<(String, Resolution)> {
        let tz = tz.map(policy);
        resolve(&raw, tz.as_ref()).map(|(dt, res)| (dt.to_rfc3339(), res))
    }

    fn raw(naive: NaiveDateTime, zone: RawZone) -> RawTime {
        RawTime { naive, zone }
    }

    fn some(s: &str, res: Resolution) -> Option<(String, Resolution)> {
        Some((s.to_string(), res))
    }

    #[test]
    fn tz_policy_parse() {
        assert!(matches!(policy("UTC"), TzPolicy::Utc));
        assert!(matches!(policy("utc"), TzPolicy::Utc));
        assert!(matches!(policy("+02:00"), TzPolicy::Fixed(o) if o == off(7200)));
        assert!(matches!(policy("-0530"), TzPolicy::Fixed(o) if o == off(-(5 * 3600 + 1800))));
        assert!(matches!(policy("+05"), TzPolicy::Fixed(o) if o == off(5 * 3600)));
        assert!(matches!(policy("Europe/Berlin"), TzPolicy::Named(chrono_tz::Europe::Berlin)));
        assert!(matches!(policy("America/Chicago"), TzPolicy::Named(chrono_tz::America::Chicago)));
        for bad in ["Mars/Olympus", "+25:00", "+02:00x", "", "CET2"] {
            let err = TzPolicy::parse(bad).unwrap_err();
            assert!(!err.is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn resolve_explicit_ignores_tz() {
        let r = raw(t0(), RawZone::Fixed(off(3600)));
        assert_eq!(resolved(r, None), some("2024-03-05T10:00:00+01:00", Resolution::Explicit));
        assert_eq!(
            resolved(r, Some("America/Chicago")),
            some("2024-03-05T10:00:00+01:00", Resolution::Explicit)
        );
        // UTC spelled as an abbreviation is parsed as a fixed offset.
        let r = parse("Tue Mar  5 10:00:00 UTC 2024").unwrap();
        assert_eq!(resolved(r, Some("Asia/Tokyo")), some("2024-03-05T10:00:00+00:00", Resolution::Explicit));
    }

    #[test]
    fn resolve_naive() {
        let r = raw(t0(), RawZone::Naive);
        assert_eq!(resolved(r, None), some("2024-03-05T10:00:00+00:00", Resolution::Assumed));
        assert_eq!(resolved(r, Some("UTC")), some("2024-03-05T10:00:00+00:00", Resolution::Assumed));
        assert_eq!(resolved(r, Some("-0530")), some("2024-03-05T10:00:00-05:30", Resolution::Assumed));
        assert_eq!(
            resolved(r, Some("Europe/Berlin")),
            some("2024-03-05T10:00:00+01:00", Resolution::Assumed)
        );
        let summer = raw(at(2024, 7, 1, 10, 0, 0), RawZone::Naive);
        assert_eq!(
            resolved(summer, Some("Europe/Berlin")),
            some("2024-07-01T10:00:00+02:00", Resolution::Assumed)
        );
    }

    #[test]
    fn resolve_dst_gap_and_fold() {
        // Europe/Berlin jumps 02:00 -> 03:00 on 2024-03-31.
        let gap = raw(at(2024, 3, 31, 2, 30, 0), RawZone::Naive);
        assert_eq!(resolved(gap, Some("Europe/Berlin")), None);
        // ... and repeats 02:00-03:00 on 2024-10-27: the earlier (CEST) reading.
        let fold = raw(at(2024, 10, 27, 2, 30, 0), RawZone::Naive);
        assert_eq!(
            resolved(fold, Some("Europe/Berlin")),
            some("2024-10-27T02:30:00+02:00", Resolution::Ambiguous)
        );
        // The line's abbreviation picks the reading.
        let cet = raw(at(2024, 10, 27, 2, 30, 0), abbr("CET"));
        assert_eq!(
            resolved(cet, Some("Europe/Berlin")),
            some("2024-10-27T02:30:00+01:00", Resolution::Assumed)
        );
        let cest = raw(at(2024, 10, 27, 2, 30, 0), abbr("CEST"));
        assert_eq!(
            resolved(cest, Some("Europe/Berlin")),
            some("2024-10-27T02:30:00+02:00", Resolution::Assumed)
        );
        let other = raw(at(2024, 10, 27, 2, 30, 0), abbr("EET"));
        assert_eq!(
            resolved(other, Some("Europe/Berlin")),
            some("2024-10-27T02:30:00+02:00", Resolution::Ambiguous)
        );
    }

    #[test]
    fn resolve_abbreviations() {
        let cases = [
            ("CET", "+01:00"),
            ("CEST", "+02:00"),
            ("CST", "-06:00"),
            ("IST", "+05:30"),
            ("BST", "+01:00"),
            ("ACDT", "+10:30"),
            ("NZDT", "+13:00"),
            ("PDT", "-07:00"),
        ];
        for (name, offset) in cases {
            let r = raw(t0(), abbr(name));
            assert_eq!(
                resolved(r, None),
                some(&format!("2024-03-05T10:00:00{offset}"), Resolution::Abbreviation),
                "{name}"
            );
        }
        // A hand-built UTC abbreviation is still explicit.
        let mut bytes = [0u8; 6];
        bytes[..3].copy_from_slice(b"GMT");
        let r = raw(t0(), RawZone::Abbrev(bytes, 3));
        assert_eq!(resolved(r, None), some("2024-03-05T10:00:00+00:00", Resolution::Explicit));
        assert_eq!(resolved(r, Some("Asia/Tokyo")), some("2024-03-05T10:00:00+00:00", Resolution::Explicit));
        // Unknown without --tz: no time.
        assert_eq!(resolved(raw(t0(), abbr("XYZT")), None), None);
        assert_eq!(
            resolved(raw(t0(), abbr("XYZT")), Some("+02:00")),
            some("2024-03-05T10:00:00+02:00", Resolution::Assumed)
        );
    }

    #[test]
    fn resolve_tz_overrides_abbreviation() {
        // CST on a host in China.
        let r = parse("Tue Mar  5 10:00:00 CST 2024").unwrap();
        assert_eq!(
            resolved(r, Some("Asia/Shanghai")),
            some("2024-03-05T10:00:00+08:00", Resolution::Assumed)
        );
        assert_eq!(resolved(r, None), some("2024-03-05T10:00:00-06:00", Resolution::Abbreviation));
        // The table's CST ignores DST; America/Chicago knows March 10 switched to CDT.
        let r = parse("Tue Mar 12 10:00:00 CDT 2024").unwrap();
        assert_eq!(
            resolved(r, Some("America/Chicago")),
            some("2024-03-12T10:00:00-05:00", Resolution::Assumed)
        );
    }

    /// Minimal deterministic generator for the no-panic test (std only).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next()).unwrap() % n
        }
    }

    const VALID: &[&str] = &[
        "Tue Mar  5 10:00:00 UTC 2024",
        "Tue 05 Mar 2024 10:00:00 PM CET",
        "Tue Mar  5 10:00:00 AM UTC 2024",
        "Tue, 05 Mar 2024 10:00:00 +0000",
        "2024-03-05T10:00:00,123456789+01:00",
        "2024-03-05 10:00:00.123",
        "2024/03/05 10:00:00 CEST",
        "1709632800.123456",
        "zzz ***Tue Mar 5 10:00:00 UTC 2024",
        "zzz <03/05/2024 10:00:00> subcount: 3",
        "=== Tue Mar  5 10:00:00 UTC 2024 ===",
        "# date: 2024-03-05 10:00:00",
        "[2024-03-05 10:00:00]",
        "Every 5.0s: ss -s   host: Tue Mar  5 10:00:00 2024",
    ];

    fn exercise(line: &[u8], policies: &[Option<TzPolicy>]) {
        if let Some(t) = parse_timestamp_line(line) {
            for p in policies {
                let _ = resolve(&t, p.as_ref());
            }
        }
    }

    #[test]
    fn never_panics() {
        let policies = [
            None,
            Some(TzPolicy::Utc),
            Some(policy("-23:59")),
            Some(policy("+23:59")),
            Some(policy("Europe/Berlin")),
            Some(policy("America/Chicago")),
        ];
        let mut rng = Lcg(0x5eed);
        for valid in VALID {
            assert!(parse(valid).is_some(), "{valid:?}");
            let b = valid.as_bytes();
            for k in 0..=b.len() {
                exercise(&b[..k], &policies);
                exercise(&b[k..], &policies);
            }
            for _ in 0..300 {
                let mut m = b.to_vec();
                for _ in 0..1 + rng.below(3) {
                    let k = rng.below(m.len());
                    m[k] = u8::try_from(rng.below(256)).unwrap();
                }
                exercise(&m, &policies);
            }
        }
        // Random lines over an alphabet that reaches deep into the parsers,
        // including extreme years, offsets and digit runs.
        let alphabet = b"0123456789 :-/+.,TZzAPMonTueFriSatMarFebDecUTCCEST*=#[]<>Every\r\t\xff";
        for _ in 0..20_000 {
            let len = rng.below(48);
            let line: Vec<u8> = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
            exercise(&line, &policies);
        }
        for _ in 0..5_000 {
            let digits = |rng: &mut Lcg, n: usize| -> String {
                (0..n).map(|_| char::from(b'0' + u8::try_from(rng.below(10)).unwrap())).collect()
            };
            let frac_len = 1 + rng.below(20);
            let epoch_len = 9 + rng.below(2);
            let line = format!(
                "{}-{}-{}T{}:{}:{}.{}{}{}:{}",
                digits(&mut rng, 4),
                digits(&mut rng, 2),
                digits(&mut rng, 2),
                digits(&mut rng, 2),
                digits(&mut rng, 2),
                digits(&mut rng, 2),
                digits(&mut rng, frac_len),
                if rng.below(2) == 0 { '+' } else { '-' },
                digits(&mut rng, 2),
                digits(&mut rng, 2),
            );
            exercise(line.as_bytes(), &policies);
            exercise(digits(&mut rng, epoch_len).as_bytes(), &policies);
        }
        for extreme in ["9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59", "0000-01-01 00:00:00"] {
            let t = parse(extreme).unwrap();
            for p in &policies {
                let _ = resolve(&t, p.as_ref());
            }
        }
    }
}
