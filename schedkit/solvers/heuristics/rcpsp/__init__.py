"""The RCPSP heuristic: schedule generation schemes (`sgs`), priority rules (`rules`), the
genetic algorithm with forward-backward improvement (`ga`) and the backend (`backend`)."""
