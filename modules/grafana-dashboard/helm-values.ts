/**
 * Values for the Grafana Helm chart (grafana/helm-charts `charts/grafana`) that make its
 * `download-dashboards` init container fetch a grafana.com dashboard by gnetId and bind its
 * datasource inputs: the route the Trivy Operator docs use.
 */
export interface GrafanaChartDashboardValuesOptions {
  /** grafana.com dashboard id. */
  readonly gnetId: number;
  /** Pinned revision; the chart silently uses 1 when it is missing. */
  readonly revision: number;
  /** Inputs bound to the datasource (`${DS_PROMETHEUS}` …). */
  readonly datasourceInputs: readonly string[];
  /** Datasource uid or name; the chart substitutes it textually for each `${input}`. */
  readonly datasource: string;
  /** Key under `dashboards.<provider>`; also the file name in the provider directory. */
  readonly dashboardKey: string;
  /** Dashboard provider name; also the directory `/var/lib/grafana/dashboards/<provider>`. */
  readonly providerName: string;
  /** Folder title; empty string = General. */
  readonly folderTitle: string;
  /**
   * Folder uid, when the folder should have a stable uid.
   * @default - Grafana generates one
   */
  readonly folderUid?: string;
}

export interface GrafanaChartDashboardValues {
  readonly dashboardProviders: {
    readonly "dashboardproviders.yaml": {
      readonly apiVersion: 1;
      readonly providers: ReadonlyArray<Record<string, unknown>>;
    };
  };
  readonly dashboards: Readonly<Record<string, Readonly<Record<string, Record<string, unknown>>>>>;
}

export function grafanaChartDashboardValues(options: GrafanaChartDashboardValuesOptions): GrafanaChartDashboardValues {
  return {
    dashboardProviders: {
      "dashboardproviders.yaml": {
        apiVersion: 1,
        providers: [
          {
            name: options.providerName,
            orgId: 1,
            folder: options.folderTitle,
            ...(options.folderUid !== undefined ? { folderUid: options.folderUid } : {}),
            type: "file",
            disableDeletion: false,
            // Changes made in the UI would be lost at the next pod restart; make that visible.
            editable: false,
            options: { path: `/var/lib/grafana/dashboards/${options.providerName}` },
          },
        ],
      },
    },
    dashboards: {
      [options.providerName]: {
        [options.dashboardKey]: {
          gnetId: options.gnetId,
          revision: options.revision,
          // The list form replaces `${NAME}` placeholders; the string form would sed-rewrite
          // every `"datasource":` line and break object references.
          datasource: options.datasourceInputs.map((name) => ({ name, value: options.datasource })),
        },
      },
    },
  };
}
