//! The one answer every check gives: a [`Verdict`] and what it saw, as a [`Reading`],
//! and how the readings of all checks become the poll's one reading.

/// What a check (or a whole poll) says about the gaining color.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Not yet: the reasons, joined.
    Wait(String),
    /// Not ever, without someone acting (a failed rollout).
    Refuse(String),
    /// Could not tell this time (Dynatrace throttled, failed or did not answer): the
    /// gate waits as for `Wait`; a bake keeps polling instead of failing.
    Unsure(String),
}

/// What one check (or one poll) saw: the verdict, and the numbers in a progress line's
/// words (`1/2 targets healthy (1 initial), needs 2; steady services 1/1; alarms OK`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub verdict: Verdict,
    pub seen: String,
}

impl Reading {
    pub fn new(verdict: Verdict, seen: impl Into<String>) -> Reading {
        Reading { verdict, seen: seen.into() }
    }

    /// Could not tell, and the progress line says why.
    pub fn unsure(why: String) -> Reading {
        Reading { verdict: Verdict::Unsure(why.clone()), seen: why }
    }
}

/// Two readings as one: a refusal wins, then every reason to wait (a check that could
/// not tell is named with them), then "could not tell", in order; what they saw is
/// joined in order, an empty part left out.
pub fn combine(reading: Reading, other: Reading) -> Reading {
    use Verdict::*;
    let verdict = match (reading.verdict, other.verdict) {
        (Refuse(r), _) | (_, Refuse(r)) => Refuse(r),
        (Wait(a), Wait(b) | Unsure(b)) | (Unsure(a), Wait(b)) => Wait(format!("{a}; {b}")),
        (Wait(r), Pass) | (Pass, Wait(r)) => Wait(r),
        (Unsure(a), Unsure(b)) => Unsure(format!("{a}; {b}")),
        (Unsure(r), Pass) | (Pass, Unsure(r)) => Unsure(r),
        (Pass, Pass) => Pass,
    };
    let seen = match (reading.seen.is_empty(), other.seen.is_empty()) {
        (_, true) => reading.seen,
        (true, false) => other.seen,
        (false, false) => format!("{}; {}", reading.seen, other.seen),
    };
    Reading { verdict, seen }
}

/// The readings of every check of one poll, in the order the checks were built, as one.
/// The reasons of a check that `leads` come before the others' (a firing alarm is named
/// first); what each saw keeps the checks' order.
pub fn merge(readings: impl IntoIterator<Item = (Reading, bool)>) -> Reading {
    let readings: Vec<(Reading, bool)> = readings.into_iter().collect();
    let leading = readings.iter().filter(|(_, leads)| *leads);
    let following = readings.iter().filter(|(_, leads)| !*leads);
    let pass = Reading::new(Verdict::Pass, "");
    let verdict =
        leading.chain(following).fold(pass.clone(), |all, (r, _)| combine(all, Reading::new(r.verdict.clone(), "")));
    let seen = readings.into_iter().fold(pass, |all, (r, _)| combine(all, Reading::new(Verdict::Pass, r.seen)));
    Reading { verdict: verdict.verdict, seen: seen.seen }
}
