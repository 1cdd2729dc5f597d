package com.mp3converter.common.http;

import java.util.LinkedHashMap;
import java.util.Map;

/** Thrown by handlers to answer with a problem response; the routing's error handler writes it. */
public class ProblemException extends RuntimeException {
    private final transient Problem problem;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public ProblemException(int status, String slug, String title, String detail) {
        this(Problem.of(status, slug, title, detail));
    }

    public ProblemException(Problem problem) {
        super(problem.title() + ": " + problem.detail(), null, false, false);
        this.problem = problem;
    }

    public ProblemException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public Problem problem() {
        return problem;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
