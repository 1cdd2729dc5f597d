# Sourced by ./mp3converter and the scripts it runs: the project's one JDK floor, and find_jdk, which prints the
# home of a JDK at or above it (JAVA_HOME first, then /usr/lib/jvm) or fails saying so.
JDK_FLOOR=25
find_jdk() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-$JDK_FLOOR-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$version" ] && [ "${version%%.*}" -ge "$JDK_FLOOR" ]; then echo "$candidate"; return 0; fi
  done
  echo "no JDK $JDK_FLOOR or newer found (looked at JAVA_HOME and /usr/lib/jvm/*); install one, e.g. Temurin $JDK_FLOOR, and set JAVA_HOME" >&2
  return 1
}
