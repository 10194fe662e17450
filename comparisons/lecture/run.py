"""Everything `deltacheck lecture` computes, gathered in one object before anything is written."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from comparisons.lecture import chain_rule_slide as hell
from comparisons.lecture import data as lecture_data
from comparisons.lecture import dynamics, oracles
from comparisons.lecture import enumeration_cost as paths_cost
from comparisons.lecture import equations as lecture_equations
from comparisons.lecture import training as lecture_train
from comparisons.lecture import worked as lecture_worked


@dataclass
class LectureRun:
    """The results of one run, in the lecture's order."""

    command: str
    eta: float
    steps: int
    seed: int
    k: int  # the training table shows every k-th step
    images: lecture_data.Images  # the 64 training images
    held: lecture_data.Images  # the held-out flips
    pixel_acc: object  # (12,): the best single-pixel rule's accuracy, per pixel
    perceptron: object  # passes until a linear rule separates the images, or None
    no_hidden: tuple  # accuracy of 12-2 (training, held-out)
    initial: object  # manual_bp.MLP at the initial weights
    gradient: tuple  # (gW, gb): ∂C_T at the initial weights, manual_bp
    worked: lecture_worked.Worked
    training: lecture_train.Training
    hell_initial: hell.Hell
    hell_trained: hell.Hell
    equations: pd.DataFrame  # one row per (point, equation, quantity, oracle)
    paths_sizes: list  # the network of --paths
    paths_terms: int
    paths_max_abs: float
    paths_passed: bool
    cost_table: pd.DataFrame
    times: dict  # (width, depth) -> (seconds by paths, seconds by backprop): not deterministic
    rises: dynamics.Rises  # the steps at which C_T went up
    saturation: tuple  # (dynamics.Saturation at the initial weights, after training)
    gradient_cost: dynamics.Cost  # multiply-adds per image for the whole gradient, three ways

    @property
    def X(self):
        """(64, 12)."""
        return self.images.X

    @property
    def T(self):
        """(64, 2)."""
        return self.images.T

    @property
    def digits(self):
        """(64,)."""
        return self.images.digits

    @property
    def checks(self):
        """{check name: passed} for every check of the run."""
        eq = self.equations
        return {
            "training: parameters": self.training.params_passed,
            "training: C_T per step": self.training.costs_passed,
            "微分地獄 at the initial weights": self.hell_initial.verdict.passed,
            "微分地獄 after training": self.hell_trained.verdict.passed,
            "one image by hand = manual_bp": self.worked.agrees_with_manual_bp,
            **{
                check_name(e): bool(eq[eq["equation"].isin([e, "all"])]["passed"].all())
                for e in lecture_equations.EQUATIONS
            },
            "path enumeration = backprop": self.paths_passed and bool(self.cost_table["passed"].all()),
        }

    @property
    def indistinct(self):
        """The 微分地獄 checks that pass only because printed and corrected totals coincide there."""
        return {
            name
            for name, h in (
                ("微分地獄 at the initial weights", self.hell_initial),
                ("微分地獄 after training", self.hell_trained),
            )
            if h.verdict.passed and not h.verdict.distinguishable
        }

    @property
    def passed(self):
        """Every check passed."""
        return all(self.checks.values())


def check_name(equation):
    """'equation (2)', or for Σ_k 'sums over k (C_T = Σ_k C_k)'."""
    return SUMS_CHECK if equation == "Σ_k" else f"equation {equation}"


SUMS_CHECK = "sums over k (C_T = Σ_k C_k)"


def paths_problem(sizes, seed, X, T):
    """The lecture network and its images for 12-3-2; a random sigmoid network of ``sizes`` otherwise."""
    if list(sizes) == lecture_train.SIZES:
        return lecture_train.lecture_net(seed), X, T
    return paths_cost.random_problem(list(sizes), seed)


def run(command, eta, steps, seed, paths_sizes, progress=False):
    """Compute every section of the report."""
    images, held = lecture_data.training_images(), lecture_data.held_out_images()
    X, T, digits = images.X, images.T, images.digits
    initial = lecture_train.lecture_net(seed)
    o_init = oracles.all_oracles(initial, X, T)
    training = lecture_train.run(seed, eta, steps, X, T, digits, (held.X, held.digits), progress)
    trained = training.net
    o_trained = oracles.all_oracles(trained, X, T)
    equations = pd.concat(
        [
            lecture_equations.table(initial, X, T, o_init, "initial"),
            lecture_equations.table(trained, X, T, o_trained, "trained"),
        ],
        ignore_index=True,
    )
    net, Xp, Tp = paths_problem(paths_sizes, seed, X, T)
    worst, terms, _, _ = paths_cost.agree(net, Xp, Tp)
    cost_table, times = paths_cost.table(seed)
    return LectureRun(
        command=command,
        eta=eta,
        steps=steps,
        seed=seed,
        k=max(1, steps // 10),
        images=images,
        held=held,
        pixel_acc=lecture_data.single_pixel_accuracy(X, digits),
        perceptron=lecture_data.perceptron_epochs(X, digits),
        no_hidden=lecture_train.no_hidden_layer(seed, eta, steps, X, T, digits, (held.X, held.digits)),
        initial=initial,
        gradient=initial.gradients(X, T),
        worked=lecture_worked.work(initial, X, T, eta),
        training=training,
        hell_initial=hell.evaluate(initial, X, T, o_init["autograd"]["gW"]),
        hell_trained=hell.evaluate(trained, X, T, o_trained["autograd"]["gW"]),
        equations=equations,
        paths_sizes=list(paths_sizes),
        paths_terms=terms,
        paths_max_abs=worst.max_abs_err,
        paths_passed=worst.passed,
        cost_table=cost_table,
        times=times,
        rises=dynamics.rises(training.costs["C_T_manual_bp"]),
        saturation=(dynamics.saturation(initial, X, T), dynamics.saturation(trained, X, T)),
        gradient_cost=dynamics.gradient_cost(lecture_train.SIZES),
    )
