# One image per service: docker build --build-arg SERVICE=gateway -t mp3converter/gateway:0.1.0-SNAPSHOT .
# (k8s/build-images builds all four). Build stage with the project's Maven wrapper on the project's JDK floor
# (25, as pom.xml's java.floor says), runtime as non-root on the same JDK's JRE.
ARG SERVICE=gateway

FROM eclipse-temurin:25.0.3_9-jdk-noble AS build
ARG SERVICE
# the Maven wrapper downloads its pinned Maven with curl and unpacks the checked zip with unzip
RUN apt-get update && apt-get install -y --no-install-recommends curl unzip ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow ./mvnw -B -q -DskipTests -pl "${SERVICE}" -am package

FROM eclipse-temurin:25.0.3_9-jre-noble
ARG SERVICE
# the transcoder's native needs: libmp3lame0 is the system's LAME it encodes with (three times faster than the one
# in FFmpeg's jar); libpulse0 because the bytedeco FFmpeg build links libavdevice against PulseAudio
RUN if [ "${SERVICE}" = transcoder ]; then apt-get update \
        && apt-get install -y --no-install-recommends libmp3lame0 libpulse0 && rm -rf /var/lib/apt/lists/*; fi \
    && useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /src/${SERVICE}/target/${SERVICE}.jar /app/app.jar
COPY --from=build /src/${SERVICE}/target/libs /app/libs
# The JVM settings, the same files the local stack, the tests and the benchmarks start the services with: for the
# training run below and the container (heap, GC, JIT; why each: the files, and docs/benchmarks.md)
COPY --from=build /src/jvm/common.options /app/jvm/common.options
COPY --from=build /src/jvm/${SERVICE}.options /app/jvm/service.options
ENV JDK_JAVA_OPTIONS="@/app/jvm/common.options @/app/jvm/service.options"
# and the environment they run with, jvm/common.env (JvmEnvironmentTest holds the two alike)
ENV MALLOC_ARENA_MAX=2
# An ahead-of-time cache of the classes a start loads and links (JEP 483/514), from a training run that starts the
# service without its backends, calls its own health and metrics endpoints and exits: the container then starts in
# about half the time.
# (the services refuse to start without an internal token: the training run gets a random one of its own)
RUN SMTP_HOST=training.invalid SMTP_FROM=training@training.invalid AUTH_KEYS_DASH_DIR=/tmp/training-keys \
        INTERNAL_TOKEN="$(head -c 24 /dev/urandom | base64)" \
        java -XX:AOTCacheOutput=/app/app.aot -Dmp3converter.aot-training=true -jar /app/app.jar \
    && rm -rf /tmp/training-keys
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["java", "-XX:AOTCache=/app/app.aot", "-jar", "/app/app.jar"]
