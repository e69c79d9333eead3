/// The OpenAPI 3.1 description of the whole HTTP API, served at `/api/v1/openapi.json`. Compiled into the
/// binary so that it is always there; `Tests/e2e/test_openapi.py` checks every route against it.
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "WakeDock Monitor API",
  "version": "1.0.0",
  "description": "Real-time container monitoring from the kernel's own counters. Errors are `{\"error\", \"detail\"}`. The WebSocket stream is at `/api/v1/monitoring/ws` (see SPEC §6)."
 },
 "paths": {
  "/api/v1/monitoring/status": {
   "get": {
    "operationId": "getStatus",
    "summary": "Monitoring, WebSocket and threshold status",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Status"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/monitoring/start": {
   "post": {
    "operationId": "start",
    "summary": "Start collection (idempotent)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Message"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/monitoring/stop": {
   "post": {
    "operationId": "stop",
    "summary": "Stop collection; history is still served (idempotent)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Message"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/monitoring/metrics": {
   "get": {
    "operationId": "getMetrics",
    "summary": "Samples, newest first",
    "parameters": [
     {
      "name": "container_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Container id, unique id prefix (≥ 3 characters) or name"
     },
     {
      "name": "service_name",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Compose service (label com.docker.compose.service)"
     },
     {
      "name": "hours",
      "in": "query",
      "required": false,
      "schema": {
       "type": "number",
       "exclusiveMinimum": 0,
       "maximum": 168,
       "default": 1
      },
      "description": "Window, hours back from now"
     },
     {
      "name": "format",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": ["json", "jsonl"],
       "default": "json"
      },
      "description": "json: an array; jsonl: one record per line, streamed (exports). With jsonl, limit defaults to the whole window and may go up to 10000000"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 10000000,
       "default": 1000
      },
      "description": "The newest `limit` records of the window; at most 10000 with format=json, 10000000 with format=jsonl"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Sample"
         }
        }
       },
       "application/x-ndjson": {
        "schema": {
         "type": "string",
         "description": "one Sample object per line (format=jsonl)"
        }
       }
      }
     },
     "422": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/v1/monitoring/metrics/query": {
   "post": {
    "operationId": "queryMetrics",
    "summary": "Samples, newest first (filters as a JSON body)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/MetricsQuery"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Sample"
         }
        }
       },
       "application/x-ndjson": {
        "schema": {
         "type": "string",
         "description": "one Sample object per line (format=jsonl)"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/v1/monitoring/metrics/latest": {
   "get": {
    "operationId": "getLatestOfAll",
    "summary": "Every watched container's newest sample, from memory (what `wakedock-monitor stats` reads)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": ["collecting", "collection_interval", "samples"],
         "properties": {
          "collecting": {
           "type": "boolean",
           "description": "false after POST /stop: the samples are then as old as the stop"
          },
          "collection_interval": {
           "type": "number"
          },
          "samples": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Sample"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/monitoring/metrics/{container_id}/latest": {
   "get": {
    "operationId": "getLatest",
    "summary": "A container's newest sample",
    "parameters": [
     {
      "name": "container_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "Id, unique prefix or name"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Sample"
        }
       }
      }
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/v1/monitoring/alerts": {
   "get": {
    "operationId": "getAlerts",
    "summary": "Alerts, newest first",
    "parameters": [
     {
      "name": "container_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Container id, unique id prefix (≥ 3 characters) or name"
     },
     {
      "name": "service_name",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Compose service (label com.docker.compose.service)"
     },
     {
      "name": "level",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "info",
        "warning",
        "critical"
       ]
      },
      "description": "Alert level"
     },
     {
      "name": "hours",
      "in": "query",
      "required": false,
      "schema": {
       "type": "number",
       "exclusiveMinimum": 0,
       "maximum": 168,
       "default": 24
      },
      "description": "Window, hours back from now"
     },
     {
      "name": "format",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": ["json", "jsonl"],
       "default": "json"
      },
      "description": "json: an array; jsonl: one record per line, streamed (exports). With jsonl, limit defaults to the whole window and may go up to 10000000"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 10000000,
       "default": 100
      },
      "description": "The newest `limit` alerts of the window; at most 1000 with format=json, 10000000 with format=jsonl"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Alert"
         }
        }
       },
       "application/x-ndjson": {
        "schema": {
         "type": "string",
         "description": "one Alert object per line (format=jsonl)"
        }
       }
      }
     },
     "422": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/v1/monitoring/alerts/query": {
   "post": {
    "operationId": "queryAlerts",
    "summary": "Alerts, newest first (filters as a JSON body)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/AlertsQuery"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Alert"
         }
        }
       },
       "application/x-ndjson": {
        "schema": {
         "type": "string",
         "description": "one Alert object per line (format=jsonl)"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/v1/monitoring/thresholds": {
   "get": {
    "operationId": "getThresholds",
    "summary": "Thresholds in force",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "thresholds"
         ],
         "properties": {
          "thresholds": {
           "type": "object",
           "additionalProperties": {
            "$ref": "#/components/schemas/Threshold"
           }
          },
          "overrides": {
           "type": "array",
           "description": "Per-service and per-container thresholds; the narrowest applies (container, then service, then global)",
           "items": {
            "$ref": "#/components/schemas/ThresholdOverride"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/monitoring/thresholds/{metric_type}": {
   "put": {
    "operationId": "putThreshold",
    "summary": "Set a metric's thresholds (applies on the next tick)",
    "parameters": [
     {
      "name": "metric_type",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "enum": [
        "cpu_percent",
        "memory_usage",
        "memory_percent",
        "memory_limit",
        "network_rx",
        "network_tx",
        "block_read",
        "block_write",
        "pids"
       ]
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ThresholdBody"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "message",
          "threshold"
         ],
         "properties": {
          "message": {
           "type": "string"
          },
          "threshold": {
           "$ref": "#/components/schemas/ThresholdBody"
          },
          "persisted": {
           "type": "boolean",
           "description": "false when the thresholds file could not be written: the change applies until the next restart"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     }
    }
   },
   "delete": {
    "operationId": "deleteThresholdOverride",
    "summary": "Remove a per-service or per-container threshold",
    "parameters": [
     {"name": "metric_type", "in": "path", "required": true, "schema": {"type": "string"}},
     {"name": "service_name", "in": "query", "required": false, "schema": {"type": "string"}},
     {"name": "container_id", "in": "query", "required": false, "schema": {"type": "string"},
      "description": "Container id, unique id prefix or name (of a live container)"}
    ],
    "responses": {
     "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}},
     "404": {"$ref": "#/components/responses/Error"},
     "422": {"$ref": "#/components/responses/Error"}
    }
   }
  },
  "/api/v1/monitoring/config": {
   "post": {
    "operationId": "postConfig",
    "summary": "Change interval, retention and thresholds, validated as a whole",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Config"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Message"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/v1/monitoring/containers": {
   "get": {
    "operationId": "getContainers",
    "summary": "Monitored containers with their latest figures",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "containers"
         ],
         "properties": {
          "containers": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/ContainerSummary"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/monitoring/statistics": {
   "get": {
    "operationId": "getStatistics",
    "summary": "Collector, WebSocket, alert and performance statistics",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Statistics"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/monitoring/test/alert": {
   "post": {
    "operationId": "testAlert",
    "summary": "Generate a test alert, stored and streamed like a real one",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/TestAlert"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "message",
          "alert"
         ],
         "properties": {
          "message": {
           "type": "string"
          },
          "alert": {
           "$ref": "#/components/schemas/Alert"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "422": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/v1/openapi.json": {
   "get": {
    "operationId": "getOpenAPI",
    "summary": "This document",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  }
 },
 "components": {
  "responses": {
   "Error": {
    "description": "An error",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  },
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error",
     "detail"
    ],
    "additionalProperties": false,
    "properties": {
     "error": {
      "type": "string"
     },
     "detail": {
      "type": "string"
     }
    }
   },
   "Message": {
    "type": "object",
    "required": [
     "message"
    ],
    "properties": {
     "message": {
      "type": "string"
     }
    }
   },
   "Sample": {
    "type": "object",
    "required": [
     "container_id",
     "container_name",
     "service_name",
     "timestamp",
     "cpu_percent",
     "memory_usage",
     "memory_limit",
     "memory_percent",
     "network_rx_bytes",
     "network_tx_bytes",
     "pids"
    ],
    "properties": {
     "container_id": {
      "type": "string"
     },
     "container_name": {
      "type": "string"
     },
     "service_name": {
      "type": [
       "string",
       "null"
      ]
     },
     "project_name": {
      "type": [
       "string",
       "null"
      ]
     },
     "timestamp": {
      "type": "string",
      "format": "date-time"
     },
     "cpu_percent": {
      "type": "number"
     },
     "memory_usage": {
      "type": "integer"
     },
     "memory_limit": {
      "type": "integer"
     },
     "memory_percent": {
      "type": "number"
     },
     "network_rx_bytes": {
      "type": "integer"
     },
     "network_tx_bytes": {
      "type": "integer"
     },
     "network_rx_rate": {
      "type": "number"
     },
     "network_tx_rate": {
      "type": "number"
     },
     "pids": {
      "type": "integer"
     },
     "cpu_usage": {
      "type": "integer"
     },
     "cpu_system_usage": {
      "type": "integer"
     },
     "memory_cache": {
      "type": "integer"
     },
     "network_rx_packets": {
      "type": "integer"
     },
     "network_tx_packets": {
      "type": "integer"
     },
     "block_read_bytes": {
      "type": "integer"
     },
     "block_write_bytes": {
      "type": "integer"
     },
     "block_read_rate": {
      "type": "number"
     },
     "block_write_rate": {
      "type": "number"
     },
     "cpu_throttled_periods": {
      "type": "integer"
     },
     "memory_failcnt": {
      "type": "integer"
     },
     "oom_kills": {
      "type": "integer"
     },
     "psi_cpu_some_avg10": {
      "type": [
       "number",
       "null"
      ]
     },
     "psi_memory_some_avg10": {
      "type": [
       "number",
       "null"
      ]
     },
     "psi_io_some_avg10": {
      "type": [
       "number",
       "null"
      ]
     }
    }
   },
   "Alert": {
    "type": "object",
    "required": [
     "container_id",
     "container_name",
     "service_name",
     "timestamp",
     "level",
     "metric_type",
     "value",
     "threshold",
     "message"
    ],
    "properties": {
     "container_id": {
      "type": "string"
     },
     "container_name": {
      "type": "string"
     },
     "service_name": {
      "type": [
       "string",
       "null"
      ]
     },
     "timestamp": {
      "type": "string",
      "format": "date-time"
     },
     "level": {
      "type": "string",
      "enum": [
       "info",
       "warning",
       "critical"
      ]
     },
     "metric_type": {
      "type": "string",
      "enum": [
       "cpu_percent",
       "memory_usage",
       "memory_percent",
       "memory_limit",
       "network_rx",
       "network_tx",
       "block_read",
       "block_write",
       "pids"
      ]
     },
     "value": {
      "type": "number"
     },
     "threshold": {
      "type": "number"
     },
     "message": {
      "type": "string"
     },
     "resolved": {
      "type": "boolean"
     },
     "resolved_level": {
      "type": "string",
      "enum": ["warning", "critical"],
      "description": "On a resolution: the highest level of the episode that ended"
     }
    }
   },
   "ThresholdOverride": {
    "type": "object",
    "required": ["metric_type", "warning", "critical", "enabled", "duration"],
    "properties": {
     "metric_type": {"type": "string"},
     "service_name": {"type": "string"},
     "container_id": {"type": "string", "description": "full id"},
     "warning": {"type": "number"},
     "critical": {"type": "number"},
     "enabled": {"type": "boolean"},
     "duration": {"type": "number"}
    }
   },
   "Threshold": {
    "type": "object",
    "required": [
     "warning",
     "critical",
     "enabled"
    ],
    "properties": {
     "warning": {
      "type": "number"
     },
     "critical": {
      "type": "number"
     },
     "enabled": {
      "type": "boolean"
     },
     "duration": {
      "type": "number",
      "description": "Seconds the value must stay at or above a level before it is raised; absent when 0"
     }
    }
   },
   "ThresholdBody": {
    "type": "object",
    "required": [
     "warning_threshold",
     "critical_threshold"
    ],
    "properties": {
     "metric_type": {
      "type": "string",
      "enum": [
       "cpu_percent",
       "memory_usage",
       "memory_percent",
       "memory_limit",
       "network_rx",
       "network_tx",
       "block_read",
       "block_write",
       "pids"
      ]
     },
     "warning_threshold": {
      "type": "number"
     },
     "critical_threshold": {
      "type": "number"
     },
     "enabled": {
      "type": "boolean"
     },
     "duration": {
      "type": "number",
      "minimum": 0,
      "maximum": 86400,
      "description": "Seconds above a level before it is raised (default 0: at once)"
     },
     "service_name": {
      "type": "string",
      "description": "Apply to this compose service only"
     },
     "container_id": {
      "type": "string",
      "description": "Apply to this container only (id, unique prefix or name of a live container)"
     }
    }
   },
   "MetricsQuery": {
    "type": "object",
    "properties": {
     "container_id": {
      "type": "string"
     },
     "service_name": {
      "type": "string"
     },
     "hours": {
      "type": "number",
      "exclusiveMinimum": 0,
      "maximum": 168
     },
     "limit": {
      "type": "integer",
      "minimum": 1,
      "maximum": 10000000
     },
     "format": {
      "type": "string",
      "enum": ["json", "jsonl"]
     }
    }
   },
   "AlertsQuery": {
    "type": "object",
    "properties": {
     "container_id": {
      "type": "string"
     },
     "service_name": {
      "type": "string"
     },
     "level": {
      "type": "string",
      "enum": [
       "info",
       "warning",
       "critical"
      ]
     },
     "hours": {
      "type": "number",
      "exclusiveMinimum": 0,
      "maximum": 168
     },
     "limit": {
      "type": "integer",
      "minimum": 1,
      "maximum": 10000000
     },
     "format": {
      "type": "string",
      "enum": ["json", "jsonl"]
     }
    }
   },
   "Config": {
    "type": "object",
    "properties": {
     "collection_interval": {
      "type": "number",
      "minimum": 0.1,
      "maximum": 60
     },
     "retention_days": {
      "type": "integer",
      "minimum": 1,
      "maximum": 30
     },
     "thresholds": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/ThresholdBody"
      }
     }
    }
   },
   "TestAlert": {
    "type": "object",
    "required": [
     "container_id",
     "metric_type",
     "value"
    ],
    "properties": {
     "container_id": {
      "type": "string"
     },
     "metric_type": {
      "type": "string",
      "enum": [
       "cpu_percent",
       "memory_usage",
       "memory_percent",
       "memory_limit",
       "network_rx",
       "network_tx",
       "block_read",
       "block_write",
       "pids"
      ]
     },
     "value": {
      "type": "number",
      "minimum": 0,
      "maximum": 1.8e19,
      "description": "The metric's value in its unit; negative or non-finite values are refused (422)"
     },
     "level": {
      "type": "string",
      "enum": [
       "info",
       "warning",
       "critical"
      ],
      "default": "warning"
     }
    }
   },
   "ContainerSummary": {
    "type": "object",
    "required": [
     "container_id",
     "container_name",
     "service_name",
     "last_update",
     "cpu_percent",
     "memory_percent",
     "network_rx_mb",
     "network_tx_mb",
     "network_rx_bytes",
     "network_tx_bytes"
    ],
    "properties": {
     "container_id": {
      "type": "string"
     },
     "container_name": {
      "type": "string"
     },
     "service_name": {
      "type": [
       "string",
       "null"
      ]
     },
     "last_update": {
      "type": [
       "string",
       "null"
      ],
      "format": "date-time"
     },
     "cpu_percent": {
      "type": "number"
     },
     "memory_percent": {
      "type": "number"
     },
     "network_rx_mb": {
      "type": "number"
     },
     "network_tx_mb": {
      "type": "number"
     },
     "network_rx_bytes": {
      "type": "integer",
      "minimum": 0,
      "description": "Cumulative received bytes (the original front-end reads these)"
     },
     "network_tx_bytes": {
      "type": "integer",
      "minimum": 0,
      "description": "Cumulative transmitted bytes"
     },
     "active_alerts": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "metric_type": {"type": "string"},
        "level": {"type": "string", "enum": ["warning", "critical"]},
        "since": {"type": "string", "format": "date-time"},
        "value": {"type": "number"}
       }
      }
     }
    }
   },
   "MonitoringStatus": {
    "type": "object",
    "required": [
     "is_running",
     "monitored_containers",
     "collection_interval",
     "retention_days",
     "storage_path"
    ],
    "properties": {
     "is_running": {
      "type": "boolean"
     },
     "monitored_containers": {
      "type": "integer"
     },
     "collection_interval": {
      "type": "number"
     },
     "retention_days": {
      "type": "integer"
     },
     "storage_path": {
      "type": "string"
     },
     "storage": {
      "$ref": "#/components/schemas/Storage"
     },
     "discovery": {
      "type": "object",
      "description": "How containers are found (Docker's socket or the cgroup tree) and whether that works now; detail says why the list is empty while Docker is away",
      "required": ["connected", "detail"],
      "properties": {
       "connected": {"type": "boolean"},
       "detail": {"type": "string"}
      }
     }
    }
   },
   "Storage": {
    "type": "object",
    "description": "The JSONL store's health",
    "properties": {
     "samples_persisted": {"type": "integer"},
     "alerts_persisted": {"type": "integer"},
     "bytes_written": {"type": "integer"},
     "write_failures": {"type": "integer"},
     "dropped_lines": {"type": "integer"},
     "failing": {"type": "boolean"},
     "last_error": {"type": ["string", "null"]},
     "files_recreated": {"type": "integer", "description": "open files found deleted and created anew"},
     "files_compressed": {"type": "integer"},
     "bytes_before_compression": {"type": "integer"},
     "bytes_after_compression": {"type": "integer"},
     "compression_failures": {"type": "integer"}
    }
   },
   "WebSocketStatus": {
    "type": "object",
    "required": [
     "is_running",
     "active_connections",
     "total_connections",
     "messages_sent"
    ],
    "properties": {
     "is_running": {
      "type": "boolean"
     },
     "active_connections": {
      "type": "integer"
     },
     "total_connections": {
      "type": "integer"
     },
     "messages_sent": {
      "type": "integer"
     }
    }
   },
   "Status": {
    "type": "object",
    "required": [
     "monitoring",
     "websocket",
     "thresholds"
    ],
    "properties": {
     "monitoring": {
      "$ref": "#/components/schemas/MonitoringStatus"
     },
     "websocket": {
      "$ref": "#/components/schemas/WebSocketStatus"
     },
     "thresholds": {
      "type": "object",
      "additionalProperties": {
       "$ref": "#/components/schemas/Threshold"
      }
     }
    }
   },
   "Statistics": {
    "type": "object",
    "required": [
     "collector",
     "websocket",
     "alerts",
     "performance"
    ],
    "properties": {
     "collector": {
      "type": "object",
      "required": [
       "is_running",
       "monitored_containers",
       "collection_interval",
       "retention_days",
       "storage_path",
       "thresholds",
       "collection_success_rate",
       "mean_tick_ms",
       "p99_tick_ms",
       "rss_bytes"
      ],
      "properties": {
       "is_running": {
        "type": "boolean"
       },
       "monitored_containers": {
        "type": "integer"
       },
       "collection_interval": {
        "type": "number"
       },
       "retention_days": {
        "type": "integer"
       },
       "storage_path": {
        "type": "string"
       },
       "thresholds": {
        "type": "object",
        "additionalProperties": {
         "$ref": "#/components/schemas/Threshold"
        }
       },
       "ticks": {
        "type": "integer"
       },
       "missed_ticks": {
        "type": "integer"
       },
       "samples_collected": {
        "type": "integer"
       },
       "failed_samples": {
        "type": "integer"
       },
       "read_errors": {
        "type": "integer"
       },
       "vanished_containers": {
        "type": "integer"
       },
       "host_network_containers": {
        "type": "integer",
        "description": "Containers whose network counters come from the host's /proc/net/dev (their veth peers)"
       },
       "collection_success_rate": {
        "type": "number"
       },
       "mean_tick_ms": {
        "type": "number"
       },
       "max_tick_ms": {
        "type": "number"
       },
       "p99_tick_ms": {
        "type": "number"
       },
       "last_tick_ms": {
        "type": "number"
       },
       "rss_bytes": {
        "type": "integer"
       },
       "storage": {
        "$ref": "#/components/schemas/Storage"
       }
      }
     },
     "websocket": {
      "type": "object",
      "required": [
       "is_running",
       "active_connections",
       "total_connections",
       "messages_sent",
       "errors",
       "max_clients",
       "ping_interval",
       "client_timeout"
      ],
      "properties": {
       "is_running": {
        "type": "boolean"
       },
       "active_connections": {
        "type": "integer"
       },
       "total_connections": {
        "type": "integer"
       },
       "messages_sent": {
        "type": "integer"
       },
       "errors": {
        "type": "integer"
       },
       "max_clients": {
        "type": "integer"
       },
       "ping_interval": {
        "type": "number"
       },
       "client_timeout": {
        "type": "number"
       },
       "dropped_clients": {
        "type": "integer"
       },
       "dropped_messages": {
        "type": "integer"
       },
       "refused_connections": {
        "type": "integer"
       }
      }
     },
     "alerts": {
      "type": "object",
      "required": [
       "total_last_24h",
       "by_level"
      ],
      "properties": {
       "total_last_24h": {
        "type": "integer"
       },
       "last_hour": {
        "type": "integer"
       },
       "by_level": {
        "type": "object",
        "required": [
         "critical",
         "warning",
         "info"
        ],
        "properties": {
         "critical": {
          "type": "integer"
         },
         "warning": {
          "type": "integer"
         },
         "info": {
          "type": "integer"
         }
        }
       }
      }
     },
     "performance": {
      "type": "object",
      "required": [
       "avg_cpu_percent",
       "avg_memory_percent",
       "total_network_rx_mb",
       "total_network_tx_mb",
       "metrics_count_last_hour"
      ],
      "properties": {
       "avg_cpu_percent": {
        "type": "number"
       },
       "avg_memory_percent": {
        "type": "number"
       },
       "total_network_rx_mb": {
        "type": "number"
       },
       "total_network_tx_mb": {
        "type": "number"
       },
       "metrics_count_last_hour": {
        "type": "integer"
       },
       "requests": {
        "type": "integer"
       },
       "mean_request_latency_ms": {
        "type": "number"
       },
       "refused_malformed": {
        "type": "integer",
        "description": "Requests the HTTP parser refused (400, 431, 501, 505)"
       },
       "refused_too_large": {
        "type": "integer",
        "description": "Bodies over the limit (413)"
       },
       "timed_out_connections": {
        "type": "integer",
        "description": "Connections closed for a head, body or write that did not come in time"
       },
       "busy_rejections": {
        "type": "integer",
        "description": "Heavy queries refused with 429 because enough were already running"
       }
      }
     }
    }
   }
  }
 }
}
"""#
}
