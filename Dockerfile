# idbridge: one static binary on a distroless base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /idbridge ./cmd/idbridge \
	&& mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /idbridge /idbridge
# The data dir holds the SQLite file and development mail when no database
# URL or SMTP host is set; it must be writable by the nonroot user (65532).
COPY --from=build --chown=65532:65532 /out/data /data
ENV IDBRIDGE_ADDR=0.0.0.0:8080 \
	IDBRIDGE_DATA_DIR=/data
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/idbridge"]
CMD ["serve"]
