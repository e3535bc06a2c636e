/**
 * The application menu. Keyboard accelerators come with the roles; DevTools is offered only in
 * development builds.
 */
import { app, dialog, Menu, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

export interface MenuContext {
  home: string;
  /** The main window, when one is open. */
  getWindow(): BrowserWindow | null;
}

export function buildApplicationMenu(context: MenuContext): Menu {
  const isMac = process.platform === 'darwin';
  const productName = app.getName();

  const showAbout = (): void => {
    const window = context.getWindow();
    const options = {
      type: 'info' as const,
      title: `About ${productName}`,
      message: `${productName} ${app.getVersion()}`,
      detail: [
        'Train and compare the classic image-classification networks, AlexNet to SENet, without writing code.',
        '',
        `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}`,
        `Data folder: ${context.home}`,
      ].join('\n'),
      buttons: ['OK'],
    };
    void (window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options));
  };

  const openDataFolder = (): void => {
    void shell.openPath(context.home).then((error) => {
      if (error) dialog.showErrorBox('Could not open the data folder', `${context.home}\n\n${error}`);
    });
  };

  const viewItems: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    { role: 'forceReload' },
    ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' } as const]),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];

  const template: MenuItemConstructorOptions[] = [
    ...(isMac
      ? [
          {
            label: productName,
            submenu: [
              { label: `About ${productName}`, click: showAbout },
              { type: 'separator' },
              { role: 'services' },
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ] satisfies MenuItemConstructorOptions[],
          },
        ]
      : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open Data Folder', accelerator: 'CmdOrCtrl+Shift+O', click: openDataFolder },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit', accelerator: 'Ctrl+Q' },
      ],
    },
    { label: '&Edit', role: 'editMenu' },
    { label: '&View', submenu: viewItems },
    { label: '&Window', role: 'windowMenu' },
    {
      label: '&Help',
      role: 'help',
      submenu: [
        ...(isMac ? [] : [{ label: `About ${productName}`, click: showAbout }]),
        { label: 'Open Data Folder', click: openDataFolder },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
