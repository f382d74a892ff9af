//! How a change of `active_color` moves traffic: all at once (the default), or in steps
//! (`canary`, `linear`, as ECS-native blue/green's CANARY and LINEAR). Each step is a
//! guarded write of the switch (`traffic_switch`), gated before it and checked
//! throughout its bake; this module only says which steps.

use crate::traffic_pointer::{Color, Traffic};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    AllAtOnce,
    /// To `percent`, held for `bake_time`, then the rest at once.
    Canary {
        percent: u8,
        bake_time: Duration,
    },
    /// Up by `step_percent` per step to 100 %, each held for `step_bake_time`.
    Linear {
        step_percent: u8,
        step_bake_time: Duration,
    },
}

/// One write of a promotion: the traffic it writes and how long it is held and checked
/// before the next (zero for the last: `promotion.bake_time` follows it).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub traffic: Traffic,
    pub bake: Duration,
    /// 1-based, of `of`.
    pub number: usize,
    pub of: usize,
    pub gaining: Color,
    /// The gaining color's share after this step.
    pub gaining_percent: u8,
}

impl Step {
    /// `step 3 of 10, green 30 %`.
    pub fn label(&self) -> String {
        format!("step {} of {}, {} {} %", self.number, self.of, self.gaining, self.gaining_percent)
    }
}

/// The share of `color` in `t`.
pub fn share(t: Traffic, color: Color) -> u8 {
    if t.active == color { 100 - t.standby_percent } else { t.standby_percent }
}

/// The traffic that gives `color` `percent` %, the rest to the other color.
fn with_share(color: Color, percent: u8) -> Traffic {
    if percent >= 50 {
        Traffic { active: color, standby_percent: 100 - percent }
    } else {
        Traffic { active: color.other(), standby_percent: percent }
    }
}

/// The writes that take `from` to `to`. Only a change of the active color is stepped;
/// any other move (a canary share held across applies, `standby_traffic_percent`) is
/// one write, as with `all_at_once`.
pub fn steps(strategy: &Strategy, from: Traffic, to: Traffic) -> Vec<Step> {
    let gaining = to.active;
    let (start, end) = (share(from, gaining), share(to, gaining));
    let mut shares: Vec<(u8, Duration)> = Vec::new();
    if to.active != from.active {
        match strategy {
            Strategy::AllAtOnce => {}
            Strategy::Canary { percent, bake_time } => {
                if *percent > start && *percent < end {
                    shares.push((*percent, *bake_time));
                }
            }
            Strategy::Linear { step_percent, step_bake_time } => {
                let mut s = u16::from(start) + u16::from(*step_percent);
                while s < u16::from(end) {
                    shares.push((s as u8, *step_bake_time));
                    s += u16::from(*step_percent);
                }
            }
        }
    }
    let mut traffics: Vec<(Traffic, u8, Duration)> =
        shares.into_iter().map(|(s, bake)| (with_share(gaining, s), s, bake)).collect();
    traffics.push((to, end, Duration::ZERO));
    let of = traffics.len();
    traffics
        .into_iter()
        .enumerate()
        .map(|(i, (traffic, gaining_percent, bake))| Step {
            traffic,
            bake,
            number: i + 1,
            of,
            gaining,
            gaining_percent,
        })
        .collect()
}

/// The least time the steps take: their bakes (the gate may wait longer).
pub fn least_time(steps: &[Step]) -> Duration {
    steps.iter().map(|s| s.bake).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLUE: Traffic = Traffic { active: Color::Blue, standby_percent: 0 };
    const GREEN: Traffic = Traffic { active: Color::Green, standby_percent: 0 };

    fn shares(steps: &[Step]) -> Vec<u8> {
        steps.iter().map(|s| s.gaining_percent).collect()
    }

    #[test]
    fn linear_moves_up_by_the_step_to_all_of_it() {
        let linear = Strategy::Linear { step_percent: 25, step_bake_time: Duration::from_secs(60) };
        let s = steps(&linear, BLUE, GREEN);
        assert_eq!(shares(&s), [25, 50, 75, 100]);
        assert_eq!(s[0].traffic, Traffic { active: Color::Blue, standby_percent: 25 });
        assert_eq!(s[1].traffic, Traffic { active: Color::Green, standby_percent: 50 });
        assert_eq!(s[2].traffic, Traffic { active: Color::Green, standby_percent: 25 });
        assert_eq!(s[3].traffic, GREEN);
        assert_eq!(s[3].bake, Duration::ZERO, "promotion.bake_time follows the last");
        assert_eq!(least_time(&s), Duration::from_secs(180));
        assert_eq!(s[2].label(), "step 3 of 4, green 75 %");
        let tens = steps(&Strategy::Linear { step_percent: 10, step_bake_time: Duration::ZERO }, BLUE, GREEN);
        assert_eq!(tens.len(), 10);
        let thirty = steps(&Strategy::Linear { step_percent: 30, step_bake_time: Duration::ZERO }, BLUE, GREEN);
        assert_eq!(shares(&thirty), [30, 60, 90, 100]);
    }

    #[test]
    fn canary_holds_its_share_then_moves_the_rest() {
        let canary = Strategy::Canary { percent: 10, bake_time: Duration::from_secs(300) };
        let s = steps(&canary, BLUE, GREEN);
        assert_eq!(shares(&s), [10, 100]);
        assert_eq!(s[0].traffic, Traffic { active: Color::Blue, standby_percent: 10 });
        assert_eq!(s[0].bake, Duration::from_secs(300));
    }

    #[test]
    fn only_a_change_of_the_active_color_is_stepped() {
        let linear = Strategy::Linear { step_percent: 10, step_bake_time: Duration::from_secs(1) };
        let canary_share = Traffic { active: Color::Blue, standby_percent: 20 };
        assert_eq!(steps(&linear, BLUE, canary_share).len(), 1, "a held canary share is one write");
        // From a held 20 % canary, linear continues from there.
        assert_eq!(shares(&steps(&linear, canary_share, GREEN)), [30, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!(steps(&Strategy::AllAtOnce, BLUE, GREEN).len(), 1);
        // A canary already past its share moves the rest at once.
        let past = Traffic { active: Color::Blue, standby_percent: 30 };
        let canary = Strategy::Canary { percent: 10, bake_time: Duration::from_secs(1) };
        assert_eq!(shares(&steps(&canary, past, GREEN)), [100]);
    }
}
