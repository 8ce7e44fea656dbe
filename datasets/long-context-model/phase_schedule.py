"""When each phase of train.py's curriculum ends, as a pure function of the clock, the steps and the answer loss.

Phases are (share, length, rows): without a gate, phase i ends when its share of the time budget is used (the shares
add up along the phases) or after its share of the planned steps, whichever comes first, as train.py always did.

With a gate on the answer loss (--gate-answer-loss), the first phase does not end before retrieval has formed: it
lasts at least its share, then until the mean answer loss of the last `window` steps falls below the gate, but never
past `gate_max_share` of the budget, and its step cap is lifted. The later phases then divide the time left in the
proportions of their shares. Why: stage 3 (README) moved to 2048 tokens after about 870 steps at 1024, before the
answer loss had left its plateau, and retrieval never formed; stage 1's left it near step 1800, still at 1024.
"""


class PhaseSchedule:
    def __init__(self, phases, budget_s, start_s, steps, gate_loss=None, gate_max_share=0.6, window=50):
        assert phases, "no phases"
        assert gate_loss is None or 0 < gate_max_share <= 1, f"gate_max_share {gate_max_share}"
        self.phases = phases
        self.budget = budget_s
        self.start = start_s
        self.steps = steps
        self.gate_loss = gate_loss
        self.gate_max_share = gate_max_share
        self.window = window
        self.index = 0
        self.steps_in_phase = 0
        self.recent = []
        self.gate_met = None  # (step, seconds from start) when the first phase's gate was met
        self.total_steps = 0
        self.ends = []  # (phase, seconds from start, steps, why: "time", "steps", "gate" or "gate limit") as each phase ended
        self._end = start_s + phases[0][0] * budget_s

    def _cap(self):
        if self.index == 0 and self.gate_loss is not None:
            return self.steps
        return round(self.phases[self.index][0] * self.steps)

    def _first_phase_over(self, now):
        """Whether the gated first phase is over at `now` (past its share: gate met, or the gate's time limit reached)."""
        if now >= self.start + self.gate_max_share * self.budget:
            return True
        return self.gate_met is not None

    def phase(self, now):
        """The index of the phase the next step belongs to, or None when training is over."""
        while self.index < len(self.phases):
            over_time, why = now >= self._end, "time"
            if self.index == 0 and self.gate_loss is not None and over_time:
                over_time = self._first_phase_over(now)
                why = "gate" if self.gate_met is not None else "gate limit"
            if not over_time and self.steps_in_phase < self._cap():
                return self.index
            self._next(now, why if over_time else "steps")
        return None

    def _next(self, now, why):
        self.ends.append((self.index, round(now - self.start, 3), self.steps_in_phase, why))
        gated_first = self.index == 0 and self.gate_loss is not None
        self.index += 1
        self.steps_in_phase = 0
        if self.index == len(self.phases):
            return
        if gated_first:
            # the later phases share what is left in their proportions
            rest = sum(p[0] for p in self.phases[1:])
            self._shares_left = [p[0] / rest * (self.start + self.budget - now) for p in self.phases[1:]]
            self._end = now + self._shares_left[0]
        elif self.gate_loss is not None:
            self._end += self._shares_left[self.index - 1]
        else:
            self._end += self.phases[self.index][0] * self.budget

    def record(self, answer_loss, now):
        """After a step of the current phase: its answer loss, at `now`."""
        self.steps_in_phase += 1
        self.total_steps += 1
        if answer_loss != answer_loss:  # NaN: a batch without answer rows says nothing about retrieval
            return
        if self.index == 0 and self.gate_loss is not None and self.gate_met is None:
            self.recent.append(answer_loss)
            if len(self.recent) > self.window:
                self.recent.pop(0)
            if len(self.recent) == self.window and sum(self.recent) / self.window < self.gate_loss:
                self.gate_met = (self.total_steps, round(now - self.start, 3))

    def summary(self):
        """What the training log keeps: the gate and where each phase ended."""
        return {"gate_answer_loss": self.gate_loss, "gate_max_share": self.gate_max_share if self.gate_loss is not None else None,
                "gate_window": self.window if self.gate_loss is not None else None,
                "gate_met_at_step": self.gate_met[0] if self.gate_met else None,
                "gate_met_at_s": self.gate_met[1] if self.gate_met else None,
                "phase_ends": [{"phase": i, "length": self.phases[i][1], "at_s": t, "steps": n, "ended_by": why}
                               for i, t, n, why in self.ends]}

    def stopped_at_time_limit(self):
        """Whether a phase ended on the clock before its share of the steps (train.py's log kept this before the gate)."""
        return any(why == "time" for _, _, _, why in self.ends)
