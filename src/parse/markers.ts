/**
 * The report's own furniture: where its error list starts and ends, and lines that are
 * never errors (greetings, forward headers, footers). Unknown errors are only taken from
 * inside the error list, so a footer that mentions "errors" never becomes a ticket.
 */

export const REGION_START =
  /following\s+errors?\s+occurred|errors?\s+(?:were|was|have\s+been)\s+(?:found|detected|reported|encountered)|objects?\s+(?:that\s+)?(?:did\s+not|didn't|could\s+not|couldn't|failed\s+to|were\s+not|weren't)\s+(?:be\s+)?(?:sync|synchroni)|(?:Directory|Identity)\s+Synchroni[sz]ation\s+Error\s+Report|export\s+run\s+caused\s+an\s+error|synchroni[sz]ation\s+errors?\s*:/i;

export const REGION_END =
  /^(?:Tracking\s+I[Dd]\b|Thank\s+you|Thanks|Sincerely|Regards|Best\s+regards|The\s+.{0,40}\s+Team\.?$|Microsoft\s+Corporation|One\s+Microsoft\s+Way|Privacy\s+Statement|This\s+(?:e-?mail|message)\s+(?:was|is)\s|Please\s+do\s+not\s+reply|You(?:'re|\s+are)\s+receiving|To\s+(?:stop|unsubscribe)|Unsubscribe)/i;

const BOILERPLATE = [
  REGION_START,
  REGION_END,
  /^(?:hello|hi|dear|greetings)\b/i,
  // the 2018 report's own sentences (real-reports.md §1): a gateway's banner, the troubleshooter advice
  /^\*\*\s*this\s+is\s+an\s+external\s+e-?mail/i,
  /^you\s+can\s+troubleshoot\s+this\s+issue\b/i,
  /^see\s+(?:directory\s+synchroni[sz]ation\s+errors|\S+\s+for)/i,
  /for\s+more\s+information\s+about\s+the\s+errors?\s+listed/i,
  /batch\s+run\s+was\s+completed/i,
  /^-{2,}\s*(?:original\s+message|forwarded\s+message|weitergeleitete\s+nachricht|message\s+d'origine|mensaje\s+original|ursprüngliche\s+nachricht)/i,
  /^begin\s+forwarded\s+message/i,
  /^(?:from|sent|to|cc|subject|date|von|gesendet|an|betreff|datum|de|envoyé|à|objet|enviado|para|asunto|da|inviato|oggetto|van|verzonden|aan|onderwerp)\s*:/i,
  /^(?:to\s+resolve|for\s+more\s+information|to\s+learn\s+more|learn\s+more)/i,
  /^(?:synchroni[sz]ation|sync)\s+errors?$/i,
  // the header of an event pasted from Event Viewer
  /^(?:log\s+name|source|event\s+id|task\s+category|level|keywords|computer|opcode|user)\s*:/i,
];

export function isBoilerplate(line: string): boolean {
  return BOILERPLATE.some((re) => re.test(line));
}

/**
 * Words an error description uses. A table cell with any of them may be an unknown error;
 * free text needs a stronger sign (prose around the list says "errors" all the time).
 */
export const ERRORISH_STRONG =
  /\b(?:unable\s+to|cannot|can\s?not|can['’]t|could\s+not|failed|failure|not\s+valid|invalid|not\s+supported|isn['’]t\s+supported|conflicts?|duplicate|denied|exceeded|too\s+large|not\s+found|an\s+error\s+occurred)\b/i;
/**
 * "Unable to update this object" in Microsoft's translations: a row in any of these languages is
 * an error whatever it goes on to say, and one that names no known error is still one record
 * (Unknown), not a line passed over (Chinese and Korean rows). German and Japanese as
 * real mails and KBs quote them, Chinese and Korean as Microsoft's translated pages word the
 * sentence; the others are inferred from those pages' wording.
 */
export const UNABLE_TO_UPDATE =
  /nicht aktualisiert werden|impossible de mettre à jour|no se puede actualizar|não é possível atualizar|impossibile aggiornare|niet (?:worden )?bijgewerkt|nie można zaktualizować|更新できません|无法更新|無法更新|업데이트할 수 없습니다/i;

export const ERRORISH =
  /\b(?:unable\s+to|cannot|can\s?not|can['’]t|could\s+not|failed|failure|not\s+valid|invalid|not\s+supported|isn['’]t\s+supported|conflicts?|duplicate|denied|exceeded|too\s+large|not\s+found|errors?)\b/i;
