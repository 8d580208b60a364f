/** Sent as the User-Agent of every outbound request so receivers can tell the app and its version. */
export const APP_VERSION = '0.1.0';
export const APP_USER_AGENT = `DeployRelay/${APP_VERSION} (+Atlassian Forge app for Bitbucket Cloud)`;
