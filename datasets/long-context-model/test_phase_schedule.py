"""python3 -m unittest discover -s datasets/long-context-model -p 'test_*.py': PhaseSchedule on a fake clock."""
import unittest

from phase_schedule import PhaseSchedule

PHASES = [(0.2, 1024, 64), (0.3, 2048, 32), (0.5, 8064, 8)]


def run(schedule, losses_at, step_s=0.5, until=1000):
    """Steps of step_s seconds from t = 0; losses_at(t) gives each step's answer loss. Returns the phase of each step."""
    seen, t = [], 0.0
    while t < until:
        phase = schedule.phase(t)
        if phase is None:
            break
        seen.append(phase)
        t += step_s
        schedule.record(losses_at(t), t)
    return seen


class PhaseScheduleTest(unittest.TestCase):
    def test_without_a_gate_the_phases_end_at_their_shares_of_the_time(self):
        s = PhaseSchedule(PHASES, budget_s=100, start_s=0, steps=10_000)
        seen = run(s, lambda t: 2.0)
        self.assertEqual([(0, 20.0), (1, 50.0), (2, 100.0)], [(p, t) for p, t, _, _ in s.ends])
        self.assertEqual(40, seen.count(0))
        self.assertIsNone(s.summary()["gate_met_at_step"])
        self.assertTrue(s.stopped_at_time_limit())

    def test_without_a_gate_a_phase_also_ends_at_its_share_of_the_steps(self):
        s = PhaseSchedule(PHASES, budget_s=100, start_s=0, steps=50)
        seen = run(s, lambda t: 2.0)
        self.assertEqual([10, 15, 25], [seen.count(i) for i in range(3)])
        self.assertEqual(["steps"] * 3, [why for _, _, _, why in s.ends])
        self.assertFalse(s.stopped_at_time_limit())

    def test_a_gate_met_late_extends_the_first_phase_and_the_rest_share_what_is_left(self):
        # 200 planned steps: 40 for the first phase without the gate, which takes 67 here
        s = PhaseSchedule(PHASES, budget_s=100, start_s=0, steps=200, gate_loss=0.5, window=10)
        run(s, lambda t: 2.0 if t < 30 else 0.1)  # the loss drops at 30 s; the mean of the last 10 steps falls below 0.5 with the 8th low one, at 33.5 s
        ends = [t for _, t, _, _ in s.ends]
        self.assertAlmostEqual(33.5, ends[0], places=3)
        self.assertAlmostEqual(33.5 + 0.3 / 0.8 * 66.5, ends[1], delta=0.5)  # 0.5 s steps
        self.assertAlmostEqual(100, ends[2], delta=0.5)
        self.assertEqual(s.summary()["gate_met_at_s"], 33.5)
        self.assertEqual(67, s.ends[0][2], "the gated phase's step cap is lifted")
        self.assertEqual("gate", s.ends[0][3])

    def test_a_gate_met_early_still_gives_the_first_phase_its_share(self):
        s = PhaseSchedule(PHASES, budget_s=100, start_s=0, steps=10_000, gate_loss=0.5, window=10)
        run(s, lambda t: 0.1)
        self.assertAlmostEqual(20, s.ends[0][1], delta=0.5)
        self.assertEqual(10, s.summary()["gate_met_at_step"])

    def test_a_gate_never_met_ends_the_first_phase_at_its_time_limit(self):
        s = PhaseSchedule(PHASES, budget_s=100, start_s=0, steps=10_000, gate_loss=0.5, gate_max_share=0.6, window=10)
        run(s, lambda t: 2.0)
        ends = [t for _, t, _, _ in s.ends]
        self.assertAlmostEqual(60, ends[0], delta=0.5)
        self.assertEqual("gate limit", s.ends[0][3])
        self.assertAlmostEqual(60 + 0.3 / 0.8 * 40, ends[1], delta=0.5)
        self.assertAlmostEqual(100, ends[2], delta=0.5)
        self.assertIsNone(s.summary()["gate_met_at_step"])

    def test_nan_losses_are_left_out_of_the_gates_mean(self):
        # every other step has no answer rows (NaN); the others are low: the window fills with them and the gate is met
        s = PhaseSchedule(PHASES, budget_s=100, start_s=0, steps=10_000, gate_loss=0.5, window=4)
        run(s, lambda t: float("nan") if int(t * 2) % 2 else 0.1)
        self.assertEqual(8, s.summary()["gate_met_at_step"])

    def test_one_phase_with_a_gate_ends_with_the_gate(self):
        s = PhaseSchedule([(1.0, 1024, 64)], budget_s=100, start_s=0, steps=10_000, gate_loss=0.5, gate_max_share=1.0, window=4)
        run(s, lambda t: 2.0 if t < 10 else 0.1)
        self.assertAlmostEqual(100, s.ends[0][1], delta=0.5, msg="a lone phase keeps its whole share")


if __name__ == "__main__":
    unittest.main()
