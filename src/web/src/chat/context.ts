import { createContext, useContext } from 'react';
import type { ChatController } from './ChatController';

export const ChatContext = createContext<ChatController | null>(null);

export function useChat(): ChatController {
  const c = useContext(ChatContext);
  if (!c) throw new Error('useChat outside ChatApp');
  return c;
}
